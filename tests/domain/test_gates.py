from collections import namedtuple
from datetime import date, datetime
from types import SimpleNamespace

import pytest

from platform_mgr.domain.gates import (
    DEFAULT_GATE_TEMPLATES,
    STAGE_TYPICAL_TRL,
    Decision,
    GateCheck,
    GateError,
    GateOutcome,
    MilestoneStatus,
    NewMilestone,
    OutcomeKind,
    ProjectStatus,
    SelectionMode,
    Stage,
    TemplateItem,
    apply_decision,
    can_receive_decision,
    can_request_gate,
    clean_conditions,
    days_overdue,
    gate_blockers,
    gate_target,
    is_overdue,
    is_read_only,
    milestones_editable,
    passing_trl,
    resolve_completion,
    resume,
    validate_completion,
    validate_dates,
)

TODAY = date(2025, 6, 15)
REWORK_DUE = date(2025, 9, 30)

S0, S1, S2, S3, S4 = Stage.S0, Stage.S1, Stage.S2, Stage.S3, Stage.S4
ACTIVE, ON_HOLD, KILLED, TRANSFERRED, WITHDRAWN = (
    ProjectStatus.ACTIVE,
    ProjectStatus.ON_HOLD,
    ProjectStatus.KILLED,
    ProjectStatus.TRANSFERRED,
    ProjectStatus.WITHDRAWN,
)
GO, COND, HOLD, RECYCLE, KILL = (
    Decision.GO,
    Decision.CONDITIONAL_GO,
    Decision.HOLD,
    Decision.RECYCLE,
    Decision.KILL,
)


def decide(stage, status, decision, **kw):
    """apply_decision with the extra inputs each decision legitimately needs."""
    kw.setdefault("current_trl", 3)
    if Decision(decision) is COND:
        kw.setdefault("conditions", ["补充用户访谈"])
    if Decision(decision) is Decision.RECYCLE:
        kw.setdefault("rework_due_on", REWORK_DUE)
    return apply_decision(stage, status, decision, **kw)


def raises_code(code, fn, *args, **kw):
    with pytest.raises(GateError) as info:
        fn(*args, **kw)
    assert info.value.code == code, (info.value.code, info.value.params)
    return info.value


# ---------------------------------------------------------------------------------------------
# Stages, labels and templates


@pytest.mark.parametrize("stage, expected", [(S0, S1), (S1, S2), (S2, S3), (S3, S4), (S4, None)])
def test_next_stage(stage, expected):
    assert stage.next_stage() == expected
    assert gate_target(stage.value) == expected


@pytest.mark.parametrize(
    "stage, zh, en",
    [
        (S0, "S0 需求发现", "S0 Demand discovery"),
        (S1, "S1 技术寻源", "S1 Technology sourcing"),
        (S2, "S2 概念验证", "S2 Concept verification"),
        (S3, "S3 场景应用", "S3 Scenario application"),
        (S4, "S4 转化落地", "S4 Transfer"),
    ],
)
def test_stage_names(stage, zh, en):
    assert stage.label("zh") == zh and stage.label("en") == en
    assert stage.label("en_US") == en and stage.label(None) == zh
    assert STAGE_TYPICAL_TRL[stage].startswith(("TRL", "—"))


def test_stage_enum_is_exactly_s0_to_s4_and_equal_to_strings():
    assert [s.value for s in Stage] == ["S0", "S1", "S2", "S3", "S4"]
    assert Stage.S2 == "S2" and [s.position for s in Stage] == [0, 1, 2, 3, 4]


@pytest.mark.parametrize(
    "enum_cls, values",
    [
        (Decision, ["go", "conditional_go", "hold", "recycle", "kill"]),
        (ProjectStatus, ["active", "on_hold", "killed", "transferred", "withdrawn"]),
        (MilestoneStatus, ["planned", "in_progress", "done", "waived"]),
        (SelectionMode, ["open_call", "horse_race", "direct"]),
        (OutcomeKind, ["licence", "assignment", "equity", "spinout", "follow_on_investment", "contract"]),
    ],
)
def test_every_enum_member_has_both_labels(enum_cls, values):
    assert [m.value for m in enum_cls] == values  # same strings as DESIGN §2 / the model CHECKs
    for member in enum_cls:
        assert member.zh.strip() and member.en.strip() and member.zh != member.en
        assert member.label("zh") == member.zh and member.label("en") == member.en


@pytest.mark.parametrize(
    "member, zh",
    [
        (GO, "通过"),
        (COND, "有条件通过"),
        (HOLD, "暂停"),
        (RECYCLE, "退回重做"),
        (KILL, "终止"),
        (SelectionMode.OPEN_CALL, "揭榜挂帅"),
        (SelectionMode.HORSE_RACE, "赛马制"),
        (SelectionMode.DIRECT, "定向委托"),
        (OutcomeKind.LICENCE, "许可"),
        (OutcomeKind.ASSIGNMENT, "转让"),
        (OutcomeKind.EQUITY, "作价投资"),
        (OutcomeKind.SPINOUT, "衍生企业"),
        (OutcomeKind.FOLLOW_ON_INVESTMENT, "后续融资"),
        (OutcomeKind.CONTRACT, "技术合同"),
    ],
)
def test_chinese_labels(member, zh):
    assert member.label() == zh  # Chinese is the default


@pytest.mark.parametrize(
    "stage, titles",
    [
        (S0, ["Named demand owner or application scenario", "Fits the platform's field"]),
        (S1, ["IP ownership clear", "Evidence of TRL ≥ 3"]),
        (S2, ["Validation report in laboratory/relevant environment", "Market validation (customer interviews)"]),
        (S3, ["Prototype demonstrated in a real or relevant scenario, with a user letter"]),
        (S4, ["Licence/assignment/equity contract signed, or spin-out registered"]),
    ],
)
def test_default_gate_templates(stage, titles):
    """The titles are catalog msgids (their Chinese is checked where they are copied: tests/services/test_gates.py)."""
    items = list(DEFAULT_GATE_TEMPLATES[stage])
    assert [i.title for i in items] == titles
    for item in items:
        assert isinstance(item, TemplateItem)
        assert item.deliverable.strip() and len(item.title) <= 200


def test_templates_cover_every_stage():
    assert set(DEFAULT_GATE_TEMPLATES) == set(Stage)


# ---------------------------------------------------------------------------------------------
# Status rules


@pytest.mark.parametrize(
    "status, read_only, editable, decidable",
    [
        (ACTIVE, False, True, True),
        (ON_HOLD, False, False, False),
        (KILLED, True, False, False),
        (TRANSFERRED, True, False, False),
        (WITHDRAWN, True, False, False),
    ],
)
def test_status_rules(status, read_only, editable, decidable):
    assert is_read_only(status) is read_only
    assert is_read_only(status.value) is read_only
    assert milestones_editable(status) is editable
    assert can_receive_decision(status.value) is decidable


def test_unknown_project_status_is_refused():
    raises_code("unknown_status", is_read_only, "archived")


# ---------------------------------------------------------------------------------------------
# Every (project status × decision) pair


def _matrix():
    expected_active = {GO: (S3, ACTIVE), COND: (S3, ACTIVE), HOLD: (S2, ON_HOLD), RECYCLE: (S2, ACTIVE), KILL: (S2, KILLED)}
    for status in ProjectStatus:
        for decision in Decision:
            expected = expected_active[decision] if status is ACTIVE else "not_active"
            yield pytest.param(status, decision, expected, id=f"{status.value}-{decision.value}")


@pytest.mark.parametrize("status, decision, expected", list(_matrix()))
def test_status_decision_matrix(status, decision, expected):
    if expected == "not_active":
        err = raises_code("not_active", decide, S2, status, decision)
        assert err.params == {"status": status} and err.field is None
        return
    outcome = decide(S2, status, decision)
    assert (outcome.new_stage, outcome.new_status) == expected
    assert outcome.decision is decision and outcome.from_stage is S2
    assert outcome.passed is (decision in (GO, COND))


def test_plain_strings_are_accepted():
    outcome = apply_decision("S1", "active", "go", current_trl=2, claimed_trls=[3])
    assert outcome.new_stage is S2 and outcome.new_status is ACTIVE and outcome.new_trl == 3


@pytest.mark.parametrize(
    "stage, status, decision, code",
    [
        ("S2", "active", "approve", "unknown_decision"),
        ("S2", "active", "", "unknown_decision"),
        ("S5", "active", "go", "unknown_stage"),
        ("S2", "archived", "go", "unknown_status"),
    ],
)
def test_unknown_values_are_refused(stage, status, decision, code):
    err = raises_code(code, apply_decision, stage, status, decision, current_trl=3)
    if code == "unknown_decision":
        assert err.field == "decision"


# ---------------------------------------------------------------------------------------------
# go / conditional_go at every stage


@pytest.mark.parametrize(
    "stage, new_stage, new_status",
    [(S0, S1, ACTIVE), (S1, S2, ACTIVE), (S2, S3, ACTIVE), (S3, S4, ACTIVE), (S4, S4, TRANSFERRED)],
)
def test_go_advances_one_stage_and_s4_transfers(stage, new_stage, new_status):
    outcome = decide(stage, ACTIVE, GO)
    assert (outcome.new_stage, outcome.new_status, outcome.passed) == (new_stage, new_status, True)
    assert outcome.milestones_to_create == ()
    assert outcome.entered_stage == (new_stage if new_stage != stage else None)


@pytest.mark.parametrize("stage, new_stage", [(S0, S1), (S1, S2), (S2, S3), (S3, S4)])
def test_conditional_go_advances_and_conditions_become_next_stage_must_meets(stage, new_stage):
    outcome = decide(stage, ACTIVE, COND, conditions=["  补充市场验证  ", "Provide user letter"])
    assert (outcome.new_stage, outcome.new_status, outcome.passed) == (new_stage, ACTIVE, True)
    assert outcome.entered_stage is new_stage
    created = outcome.milestones_to_create
    assert [m.title for m in created] == ["补充市场验证", "Provide user letter"]
    for m in created:
        assert isinstance(m, NewMilestone)
        assert m.stage is new_stage
        assert m.is_gate_criterion is True
        assert m.due_on is None
        assert m.reason == "condition"


def test_conditions_made_milestones_block_the_next_gate_until_done():
    outcome = decide(S1, ACTIVE, COND, conditions=["补充专利检索"])
    rows = [SimpleNamespace(id=None, stage=m.stage, is_gate_criterion=m.is_gate_criterion,
                            status="planned", title=m.title) for m in outcome.milestones_to_create]
    check = can_request_gate(outcome.new_status, outcome.new_stage, rows, False)
    assert check.code == "blockers" and [b.title for b in check.blockers] == ["补充专利检索"]
    rows[0].status = "done"
    assert can_request_gate(outcome.new_status, outcome.new_stage, rows, False).ok


def test_conditional_go_at_s4_is_refused():
    err = raises_code("no_next_stage", decide, S4, ACTIVE, COND, conditions=["任何条件"])
    assert err.field == "decision"


@pytest.mark.parametrize(
    "conditions, code",
    [
        ([], "conditions_required"),
        ((), "conditions_required"),
        (["   "], "condition_empty"),
        (["ok", ""], "condition_empty"),
        (["ok", None], "condition_empty"),
        (["x" * 201], "condition_too_long"),
        (["  " + "x" * 201 + "  "], "condition_too_long"),
        (["同一条件", " 同一条件 "], "condition_duplicate"),
    ],
)
def test_conditional_go_condition_validation(conditions, code):
    err = raises_code(code, apply_decision, S1, ACTIVE, COND, conditions=conditions, current_trl=3)
    assert err.field == "conditions"


def test_condition_of_exactly_200_characters_is_accepted_after_stripping():
    title = "条" * 200
    assert clean_conditions([f"  {title}\n"]) == (title,)
    outcome = apply_decision(S1, ACTIVE, COND, conditions=[title], current_trl=3)
    assert outcome.milestones_to_create[0].title == title


def test_conditions_as_single_string_is_a_programming_error():
    with pytest.raises(TypeError):
        apply_decision(S1, ACTIVE, COND, conditions="one condition", current_trl=3)


@pytest.mark.parametrize("decision", [GO, HOLD, RECYCLE, KILL])
def test_only_conditional_go_carries_conditions(decision):
    err = raises_code("conditions_not_allowed", decide, S1, ACTIVE, decision, conditions=["条件"])
    assert err.field == "conditions"
    # blank entries (an empty form row) are not conditions
    assert decide(S1, ACTIVE, decision, conditions=["", "  "]).decision is decision


# ---------------------------------------------------------------------------------------------
# hold / recycle / kill


@pytest.mark.parametrize("stage", list(Stage))
def test_hold_then_resume(stage):
    held = decide(stage, ACTIVE, HOLD, current_trl=4, claimed_trls=[7])
    assert (held.new_stage, held.new_status, held.new_trl, held.passed) == (stage, ON_HOLD, 4, False)
    assert held.milestones_to_create == () and held.entered_stage is None
    assert not milestones_editable(held.new_status) and not is_read_only(held.new_status)
    assert can_request_gate(held.new_status, stage, [], False).code == "not_active"
    raises_code("not_active", decide, stage, held.new_status, GO)

    resumed = resume(held.new_status)
    assert resumed is ACTIVE
    assert milestones_editable(resumed)
    assert decide(stage, resumed, GO).passed


@pytest.mark.parametrize("status", [ACTIVE, KILLED, TRANSFERRED, WITHDRAWN, "active"])
def test_resume_refuses_anything_but_on_hold(status):
    raises_code("not_on_hold", resume, status)


def test_resume_accepts_the_string():
    assert resume("on_hold") is ACTIVE


@pytest.mark.parametrize("stage", list(Stage))
def test_recycle_stays_and_creates_a_dated_rework_must_meet(stage):
    outcome = decide(stage, ACTIVE, RECYCLE, rework_due_on=REWORK_DUE, current_trl=4, claimed_trls=[6])
    assert (outcome.new_stage, outcome.new_status, outcome.new_trl, outcome.passed) == (stage, ACTIVE, 4, False)
    assert outcome.entered_stage is None
    (rework,) = outcome.milestones_to_create
    assert rework.stage is stage
    assert rework.due_on == REWORK_DUE
    assert rework.is_gate_criterion is True
    assert rework.reason == "rework"
    assert rework.title == ""  # the service names it "Rework: <stage>" in both languages


def test_recycle_rework_blocks_the_same_gate_again():
    outcome = decide(S2, ACTIVE, RECYCLE)
    m = outcome.milestones_to_create[0]
    row = (1, m.stage, m.is_gate_criterion, "planned", m.title)
    assert can_request_gate(outcome.new_status, outcome.new_stage, [row], False).code == "blockers"


@pytest.mark.parametrize(
    "rework_due_on, code",
    [
        (None, "rework_date_required"),
        ("2025-09-30", "rework_date_invalid"),
        (datetime(2025, 9, 30, 12, 0), "rework_date_invalid"),
    ],
)
def test_recycle_needs_a_date(rework_due_on, code):
    err = raises_code(code, apply_decision, S2, ACTIVE, RECYCLE, rework_due_on=rework_due_on, current_trl=3)
    assert err.field == "rework_due_on"


@pytest.mark.parametrize("decision", [GO, COND, HOLD, KILL])
def test_only_recycle_takes_a_rework_date(decision):
    raises_code("rework_date_not_allowed", decide, S2, ACTIVE, decision, rework_due_on=REWORK_DUE)


@pytest.mark.parametrize("stage", list(Stage))
def test_kill_is_final(stage):
    outcome = decide(stage, ACTIVE, KILL, current_trl=5, claimed_trls=[8])
    assert (outcome.new_stage, outcome.new_status, outcome.new_trl, outcome.passed) == (stage, KILLED, 5, False)
    assert outcome.milestones_to_create == ()
    assert is_read_only(outcome.new_status) and not milestones_editable(outcome.new_status)
    for decision in Decision:
        raises_code("not_active", decide, stage, outcome.new_status, decision)
    raises_code("not_on_hold", resume, outcome.new_status)
    assert can_request_gate(outcome.new_status, stage, [], False).code == "not_active"


def test_transferred_is_final():
    outcome = decide(S4, ACTIVE, GO)
    assert outcome.new_status is TRANSFERRED and is_read_only(outcome.new_status)
    raises_code("not_active", decide, S4, outcome.new_status, GO)


# ---------------------------------------------------------------------------------------------
# TRL on decisions


@pytest.mark.parametrize(
    "current, claims, expected",
    [
        (3, (), 3),
        (3, (5,), 5),
        (5, (3,), 5),
        (3, (4, 6, 5), 6),
        (3, (None, 6), 6),
        (None, (4,), 4),
        (None, (2, 4), 4),
        (None, (), None),
        (None, (None,), None),
        (8, (12,), 9),
        (11, (), 9),
        (0, (), 1),
        (None, (-3,), 1),
        (9, (9,), 9),
    ],
)
@pytest.mark.parametrize("stage, decision", [(S1, GO), (S2, COND), (S4, GO)])
def test_passing_decision_sets_trl(stage, decision, current, claims, expected):
    outcome = decide(stage, ACTIVE, decision, current_trl=current, claimed_trls=claims)
    assert outcome.new_trl == expected
    assert passing_trl(current, claims) == expected


@pytest.mark.parametrize("decision", [HOLD, RECYCLE, KILL])
@pytest.mark.parametrize("current", [None, 2, 4])
def test_non_passing_decision_keeps_trl(decision, current):
    assert decide(S2, ACTIVE, decision, current_trl=current, claimed_trls=[9]).new_trl == current


@pytest.mark.parametrize("current, claims", [(3, ("5",)), (3, (True,)), (3, (5.0,)), ("3", ())])
def test_invalid_trl_values_are_refused_on_a_pass(current, claims):
    raises_code("invalid_trl", decide, S1, ACTIVE, GO, current_trl=current, claimed_trls=claims)


def test_claims_may_be_a_generator():
    assert decide(S1, ACTIVE, GO, current_trl=2, claimed_trls=(c for c in [3, 4])).new_trl == 4


# ---------------------------------------------------------------------------------------------
# Gate blockers and requesting a gate

Row = namedtuple("Row", "id stage is_gate_criterion status title")


@pytest.mark.parametrize(
    "milestone, blocks",
    [
        (Row(1, "S2", True, "planned", "open must-meet"), True),
        (Row(2, "S2", True, "in_progress", "in-progress must-meet"), True),
        (Row(3, "S2", True, "done", "done must-meet"), False),
        (Row(4, "S2", True, "waived", "waived must-meet"), False),
        (Row(5, "S2", False, "planned", "ordinary milestone"), False),
        (Row(6, "S1", True, "planned", "previous stage must-meet"), False),
        (Row(7, "S3", True, "planned", "next stage must-meet"), False),
        (Row(8, S2, True, MilestoneStatus.PLANNED, "enum-valued must-meet"), True),
        (Row(9, S2, True, MilestoneStatus.WAIVED, "enum-valued waived"), False),
    ],
)
def test_gate_blockers_single_milestone(milestone, blocks):
    expected = [milestone] if blocks else []
    assert gate_blockers(S2, [milestone]) == expected
    check = can_request_gate(ACTIVE, S2, [milestone], False)
    assert check.ok is (not blocks)
    assert check.code == ("blockers" if blocks else "ok")
    assert check.blockers == tuple(expected)


@pytest.mark.parametrize(
    "as_input",
    [
        pytest.param(lambda r: r, id="namedtuple"),
        pytest.param(lambda r: tuple(r), id="plain-tuple"),
        pytest.param(lambda r: r._asdict(), id="mapping"),
        pytest.param(lambda r: SimpleNamespace(**r._asdict()), id="object"),
    ],
)
def test_gate_blockers_accepts_objects_tuples_and_mappings(as_input):
    rows = [
        Row(1, "S1", True, "done", "IP"),
        Row(2, "S1", True, "planned", "TRL 3"),
        Row(3, "S1", False, "planned", "paper"),
        Row(4, "S1", True, "in_progress", "licence search"),
        Row(5, "S0", True, "planned", "old"),
    ]
    items = [as_input(r) for r in rows]
    assert gate_blockers("S1", items) == [items[1], items[3]]  # the very objects, in order


def test_gate_blockers_with_no_milestones():
    assert gate_blockers(S3, []) == []
    assert can_request_gate(ACTIVE, S3, [], False).ok


@pytest.mark.parametrize(
    "status, pending, open_must_meet, code",
    [
        (ACTIVE, False, False, "ok"),
        (ACTIVE, False, True, "blockers"),
        (ACTIVE, True, False, "review_pending"),
        (ACTIVE, True, True, "review_pending"),
        (ON_HOLD, False, False, "not_active"),
        (ON_HOLD, True, True, "not_active"),
        (KILLED, False, False, "not_active"),
        (TRANSFERRED, False, False, "not_active"),
        (WITHDRAWN, False, False, "not_active"),
    ],
)
def test_can_request_gate(status, pending, open_must_meet, code):
    rows = [Row(1, "S2", True, "done", "report")]
    if open_must_meet:
        rows.append(Row(2, "S2", True, "planned", "市场验证（客户访谈）"))
    check = can_request_gate(status, S2, rows, pending)
    assert isinstance(check, GateCheck)
    assert check.code == code
    assert check.ok is (code == "ok") and bool(check) is check.ok
    assert (check.stage, check.target, check.status) == (S2, S3, status)
    if code == "blockers":
        assert [b.id for b in check.blockers] == [2]
        assert check.blocker_titles == ("市场验证（客户访谈）",)
    else:
        assert check.blockers == ()


def test_gate_can_be_requested_at_s4():
    assert can_request_gate(ACTIVE, S4, [Row(1, "S4", True, "done", "contract")], False).ok


# ---------------------------------------------------------------------------------------------
# Overdue


@pytest.mark.parametrize(
    "status, due_on, overdue, days",
    [
        ("planned", date(2025, 6, 15), False, 0),  # due today is not overdue
        ("planned", date(2025, 6, 14), True, 1),
        ("in_progress", date(2025, 5, 16), True, 30),
        ("in_progress", date(2025, 5, 15), True, 31),
        ("planned", date(2024, 6, 15), True, 365),
        ("planned", date(2025, 6, 16), False, 0),
        ("done", date(2025, 1, 1), False, 0),
        ("waived", date(2025, 1, 1), False, 0),
        (MilestoneStatus.IN_PROGRESS, date(2025, 6, 14), True, 1),
        ("planned", None, False, 0),
    ],
)
def test_overdue(status, due_on, overdue, days):
    assert is_overdue(status, due_on, TODAY) is overdue
    assert days_overdue(status, due_on, TODAY) == days


def test_overdue_refuses_unknown_milestone_status():
    raises_code("unknown_status", is_overdue, "late", date(2025, 1, 1), TODAY)


# ---------------------------------------------------------------------------------------------
# Dates


@pytest.mark.parametrize("completed_on", [TODAY, date(2025, 6, 14), date(2020, 1, 1), None])
def test_completion_today_or_earlier_is_accepted(completed_on):
    assert validate_completion(completed_on, TODAY) == completed_on


@pytest.mark.parametrize(
    "completed_on, code",
    [
        (date(2025, 6, 16), "completion_in_future"),
        (date(2026, 1, 1), "completion_in_future"),
        ("2025-06-01", "date_invalid"),
        (datetime(2025, 6, 1, 8, 0), "date_invalid"),
    ],
)
def test_completion_refused(completed_on, code):
    err = raises_code(code, validate_completion, completed_on, TODAY)
    assert err.field == "completed_on"
    assert isinstance(err, ValueError) and err.params == {}


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"due_on": date(2019, 1, 1)}, None),  # past due dates are allowed (running projects)
        ({"due_on": date(2030, 1, 1), "completed_on": TODAY}, None),
        ({}, None),
        ({"due_on": "2025-01-01"}, "due_on"),
        ({"completed_on": date(2025, 6, 16)}, "completed_on"),
    ],
)
def test_validate_dates(kwargs, field):
    if field is None:
        assert validate_dates(today=TODAY, **kwargs) is None
    else:
        with pytest.raises(GateError) as info:
            validate_dates(today=TODAY, **kwargs)
        assert info.value.field == field


@pytest.mark.parametrize(
    "status, completed_on, expected",
    [
        ("done", None, TODAY),
        ("done", date(2025, 6, 1), date(2025, 6, 1)),
        ("in_progress", date(2025, 6, 1), None),
        ("planned", None, None),
        ("waived", None, None),
    ],
)
def test_resolve_completion(status, completed_on, expected):
    assert resolve_completion(status, completed_on, TODAY) == expected


def test_resolve_completion_refuses_future_date_when_done():
    raises_code("completion_in_future", resolve_completion, "done", date(2025, 6, 16), TODAY)


# ---------------------------------------------------------------------------------------------
# Values out


def test_outcomes_are_immutable_values():
    outcome = decide(S1, ACTIVE, COND, conditions=["a"])
    assert isinstance(outcome, GateOutcome)
    with pytest.raises(AttributeError):
        outcome.new_stage = S3  # type: ignore[misc]
    assert outcome == decide(S1, ACTIVE, COND, conditions=["a"])
