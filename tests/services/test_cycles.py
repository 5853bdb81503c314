"""Services of review cycles: conditional state changes, rubric freezing, balanced assignment, the evidence
panel's figures, results, and the demo seed."""
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from fractions import Fraction

import pytest

from platform_mgr.inputs.cycles import RubricCreate
from sqlalchemy import event
from sqlmodel import select

from platform_mgr.db import get_engine, new_session
from platform_mgr.errors import Conflict
from platform_mgr.models import (
    Assignment, AuditEvent, EligibilitySnapshot, GateReview, ReviewCycle, Rubric, SelfAssessment,
)
from platform_mgr.queries.evidence_panel import evidence_panel, median_from_histogram
from platform_mgr.services import cycles as svc
from platform_mgr.services import rubrics
from platform_mgr.services.assignments import host_conflict, suggest_balanced

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=timezone.utc)


@pytest.fixture
def session(app):
    with app.app_context():
        s = new_session(get_engine(app.config["SQLALCHEMY_DATABASE_URI"]))
        try:
            yield s
        finally:
            s.rollback()
            s.close()


@contextmanager
def count_statements(app):
    engine = get_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    seen = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA")):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


# --- state changes -------------------------------------------------------------------------------

def test_a_stale_actor_cannot_move_a_cycle_twice(app, make, session):
    """The scheduler and an admin race: both read 'draft', only the first UPDATE matches."""
    cycle_id = make.cycle().id
    with app.app_context():
        other = new_session(get_engine(app.config["SQLALCHEMY_DATABASE_URI"]))
        stale = other.get(ReviewCycle, cycle_id)
        assert stale.state == "draft"
        other.commit()  # ends its transaction; the object keeps the old state in memory
        mine = session.get(ReviewCycle, cycle_id)
        svc.open_cycle(session, None, mine, now=NOW)
        session.commit()
        with pytest.raises(Conflict):
            svc.open_cycle(other, None, stale, now=NOW)
        other.rollback()
        other.close()
    opens = session.exec(select(AuditEvent).where(AuditEvent.entity_type == "cycle",
                                                  AuditEvent.action == "open")).all()
    assert len(opens) == 1


def test_a_tick_run_twice_moves_once(make, session):
    cycle = session.get(ReviewCycle, make.cycle(state="open").id)
    svc.close_cycle(session, None, cycle, now=NOW)
    with pytest.raises(Conflict):
        svc.close_cycle(session, None, cycle, now=NOW)
    assert cycle.state == "closed" and cycle.closed_at == NOW and cycle.version == 2


def test_close_freezes_the_snapshot_in_the_same_transaction(make, session, monkeypatch):
    from platform_mgr.services import eligibility

    calls = []
    monkeypatch.setattr(eligibility, "freeze_snapshot", lambda s, c, *, now: calls.append((s, c.id, c.state, now)))
    cycle = session.get(ReviewCycle, make.cycle(state="open").id)
    svc.close_cycle(session, None, cycle, now=NOW)
    assert calls == [(session, cycle.id, "closed", NOW)]


def test_a_failed_snapshot_leaves_the_cycle_open(make, session, monkeypatch, db):
    from platform_mgr.services import eligibility

    def boom(s, c, *, now):
        raise RuntimeError("snapshot failed")

    monkeypatch.setattr(eligibility, "freeze_snapshot", boom)
    cycle_id = make.cycle(state="open").id
    with pytest.raises(RuntimeError):
        svc.close_cycle(session, None, session.get(ReviewCycle, cycle_id), now=NOW)
    session.rollback()
    assert db.get(ReviewCycle, cycle_id).state == "open"


def test_real_close_writes_an_eligibility_snapshot(make, session):
    platform, reviewer = make.platform(), make.reviewer()
    cycle = make.cycle(state="open")
    make.review(cycle, reviewer, platform, 80)
    cycle = session.get(ReviewCycle, cycle.id)
    svc.close_cycle(session, None, cycle, now=NOW)
    session.flush()
    assert session.exec(select(EligibilitySnapshot).where(EligibilitySnapshot.cycle_id == cycle.id)).first()


@pytest.mark.parametrize("state,action", [("draft", "close_cycle"), ("draft", "publish_cycle"),
                                          ("open", "open_cycle"), ("open", "publish_cycle"),
                                          ("closed", "open_cycle"), ("closed", "close_cycle"),
                                          ("published", "publish_cycle"), ("published", "open_cycle")])
def test_illegal_state_changes_are_conflicts(make, session, state, action):
    cycle = session.get(ReviewCycle, make.cycle(state=state).id)
    with pytest.raises(Conflict):
        getattr(svc, action)(session, None, cycle, now=NOW)
    assert cycle.state == state


def test_draft_cycles_follow_the_latest_rubric_until_they_open(make, session):
    v1 = make.rubric()
    draft = session.get(ReviewCycle, make.cycle().id)
    criteria = [{"code": "A1", "dimension": "service", "max_points": "50", "name_zh": "甲", "name_en": "A"},
                {"code": "B1", "dimension": "operating", "max_points": "50", "name_zh": "乙", "name_en": "B"}]
    v2 = rubrics.create_rubric_version(session, None, RubricCreate(name="v2", criteria=criteria))
    session.refresh(draft)
    assert draft.rubric_id == v2.id
    svc.open_cycle(session, None, draft, now=NOW)
    v3 = rubrics.create_rubric_version(session, None, RubricCreate(name="v3", criteria=criteria))
    session.refresh(draft)
    assert (draft.rubric_id, v3.version) == (v2.id, 3)
    assert v1.id != v2.id


def test_ensure_default_rubric_is_idempotent(session):
    first = svc.ensure_default_rubric(session)
    again = svc.ensure_default_rubric(session)
    assert first.id == again.id and first.version == 1
    assert len(session.exec(select(Rubric)).all()) == 1


# --- assignment --------------------------------------------------------------------------------

@pytest.mark.parametrize("affiliation,host,conflict", [
    ("复兴大学", "复兴大学", True),
    (" 复兴大学 ", "复兴大学", True),
    ("Fudan University", "fudan  university", True),
    ("复兴大学（医学院）", "复兴大学医学院", True),
    ("复兴大学", "复兴大学附属医院", False),
    ("", "", False),
    ("科技发展研究中心", "复兴大学", False),
])
def test_host_conflict(affiliation, host, conflict):
    assert host_conflict(affiliation, host) is conflict


def test_balanced_suggestion_respects_conflicts_and_spreads_load():
    platforms = [(1, "甲院"), (2, "乙院"), (3, "丙院")]
    reviewers = [(10, "甲院"), (11, "乙院"), (12, "丁院"), (13, "戊院")]
    s = suggest_balanced(platforms, reviewers, existing=[(12, 1)], min_per_platform=2)
    assert (10, 1) not in s.pairs and (11, 2) not in s.pairs
    per_platform = {p: sum(1 for _r, q in s.pairs if q == p) for p, _h in platforms}
    assert per_platform == {1: 1, 2: 2, 3: 2}  # platform 1 already had one
    assert max(s.loads.values()) - min(s.loads.values()) <= 1
    assert s.shortfall == {}
    assert suggest_balanced(platforms, reviewers, [(12, 1)], 2) == s  # deterministic


def test_balanced_suggestion_reports_shortfall():
    s = suggest_balanced([(1, "甲院")], [(10, "甲院"), (11, "乙院")], [], 3)
    assert s.pairs == [(11, 1)] and s.shortfall == {1: 2}


# --- evidence panel ------------------------------------------------------------------------------

@pytest.mark.parametrize("histogram,median", [
    ({}, None), ({2: 1}, Fraction(2)), ({1: 1, 3: 1}, Fraction(2)), ({0: 2, 1: 1, 5: 1}, Fraction(1, 2)),
    ({-1: 1, 2: 3}, Fraction(2)),
])
def test_median_from_histogram(histogram, median):
    assert median_from_histogram(histogram) == median


def _at_shanghai(y, m, d, h, minute=0):
    from platform_mgr.i18n import SHANGHAI

    return datetime(y, m, d, h, minute, tzinfo=SHANGHAI).astimezone(timezone.utc)


def test_evidence_panel_figures_by_hand(make, session, db):
    platform = make.platform()
    other = make.platform()
    ws, we, today = date(2026, 1, 1), date(2026, 10, 31), date(2026, 11, 27)
    p1 = make.project(platform, stage="S1", trl_entry=2, trl_current=3, started_on=date(2026, 2, 1))
    p2 = make.project(platform, stage="S2", trl_entry=3, trl_current=6, started_on=date(2025, 6, 1))
    p3 = make.project(platform, stage="S2", status="killed", trl_entry=4, trl_current=4, started_on=date(2026, 3, 1))
    make.project(platform, stage="S0", trl_entry=1, trl_current=1, started_on=date(2026, 11, 15))  # after the window
    make.project(other, stage="S3", trl_entry=1, trl_current=9, started_on=date(2026, 1, 1))  # another platform
    # gates: inside (last evening of the window in Beijing), conditional inside, outside (next morning), a hold
    for project, decision, at in ((p1, "go", _at_shanghai(2026, 10, 31, 23, 30)),
                                  (p2, "conditional_go", _at_shanghai(2026, 1, 1, 0, 10)),
                                  (p2, "go", _at_shanghai(2026, 11, 1, 0, 30)),
                                  (p3, "hold", _at_shanghai(2026, 5, 1, 10))):
        db.add(GateReview(project_id=project.id, from_stage="S1", to_stage="S2", decision=decision, decided_at=at))
    db.commit()
    make.outcome(p1, kind="licence", amount=500_000, occurred_on=date(2026, 3, 1))
    make.outcome(p2, kind="equity", amount=2_000_000, occurred_on=date(2026, 10, 31))
    make.outcome(p2, kind="assignment", amount=300_000, occurred_on=date(2025, 12, 31))  # before the window
    make.outcome(p2, kind="spinout", amount=0, occurred_on=date(2026, 4, 1))
    make.outcome(p3, kind="follow_on_investment", amount=8_000_000, occurred_on=date(2026, 6, 1))
    # milestones due in the window: on time, late, open (overdue), waived (left out)
    make.milestone(p1, due_on=date(2026, 3, 1), status="done", completed_on=date(2026, 2, 28))
    make.milestone(p1, due_on=date(2026, 4, 1), status="done", completed_on=date(2026, 4, 5))
    make.milestone(p2, due_on=date(2026, 5, 1), status="in_progress", is_gate_criterion=True)
    make.milestone(p2, due_on=date(2026, 6, 1), status="waived")
    make.milestone(p3, due_on=date(2026, 11, 20), status="planned")  # after the window, overdue today
    make.milestone(p3, due_on=date(2026, 12, 20), status="planned")
    e = evidence_panel(session, platform.id, ws, we, today)
    assert e["projects"]["by_stage"] == {"S0": 0, "S1": 1, "S2": 2, "S3": 0, "S4": 0}
    assert e["projects"]["total"] == 3 and e["projects"]["by_status"] == {"active": 2, "killed": 1}
    assert e["gates_passed"] == {"total": 2, "conditional": 1, "by_stage": {"S0": 0, "S1": 2, "S2": 0, "S3": 0, "S4": 0}}
    assert e["trl"] == {"median_gain": 1.0, "projects": 3}  # gains 1, 3, 0
    assert e["conversions"]["licence"] == {"count": 1, "amount": 500_000}
    assert e["conversions"]["equity"] == {"count": 1, "amount": 2_000_000}
    assert e["conversions"]["assignment"] == {"count": 0, "amount": 0}
    assert (e["conversions"]["count"], e["conversions"]["amount"]) == (2, 2_500_000)
    assert e["spinouts"] == 1 and e["follow_on_investment"] == {"count": 1, "amount": 8_000_000}
    m = e["milestones"]
    assert (m["due_in_window"], m["on_time"], m["on_time_rate_pct"]) == (3, 1, 33.3)
    assert (m["overdue_at_window_end"], m["must_meet_overdue_at_window_end"]) == (1, 1)
    assert m["overdue_now"] == 2 and m["overdue"] == 2


def test_evidence_panel_issues_a_bounded_number_of_queries(app, make, session):
    platform = make.platform()
    for n in (1, 12):
        for i in range(n):
            project = make.project(platform, stage=f"S{i % 5}", started_on=date(2026, 2, 1))
            make.milestone(project, due_on=date(2026, 3, 1))
            make.outcome(project, occurred_on=date(2026, 3, 1))
        with count_statements(app) as seen:
            evidence_panel(session, platform.id, date(2026, 1, 1), date(2026, 10, 31), date(2026, 11, 27))
        session.rollback()  # end the transaction before arranging more data
        assert len(seen) == 5


def test_results_issue_a_bounded_number_of_queries(app, make, session):
    from platform_mgr.queries.results import cycle_results

    cycle = make.cycle(state="open")
    counts = []
    for n in (2, 6):
        for _i in range(n):
            platform = make.platform()
            for _j in range(3):
                make.review(cycle, make.reviewer(), platform, 70)
        session.expire_all()
        with count_statements(app) as seen:
            res = cycle_results(session, session.get(ReviewCycle, cycle.id))
        session.rollback()
        counts.append(len(seen))
        assert all(row.result.n == 3 for row in res.rows)
    assert counts[0] == counts[1] <= 7


# --- the demo seed ----------------------------------------------------------------------------------

def test_demo_seed_has_a_closed_and_an_open_cycle(app, session):
    from platform_mgr.queries.results import cycle_results
    from platform_mgr.services import seed

    seed.seed(session, today=date(2026, 11, 27))
    session.commit()
    closed, opened = session.exec(select(ReviewCycle).order_by(ReviewCycle.id)).all()
    assert closed.state == "closed" and opened.state == "open"
    assert closed.window_end < opened.window_start and closed.closes_at < NOW
    assert timedelta(days=4) < opened.closes_at - NOW < timedelta(days=6)
    assert session.exec(select(EligibilitySnapshot).where(EligibilitySnapshot.cycle_id == closed.id)).first()
    res = cycle_results(session, closed)
    counts = [len(row.lines) for row in res.rows]
    assert len(res.rows) == 5 and all(3 <= n <= 5 for n in counts)
    assert sum(1 for row in res.rows if row.result.disputed) == 1
    assert sum(1 for row in res.rows for line in row.lines if line.conflict) == 1
    assert all(line.state == "submitted" for row in res.rows for line in row.lines)
    assert len({row.grade for row in res.rows}) >= 3  # a realistic spread of grades
    states = {a.review_state for a in session.exec(select(Assignment).where(Assignment.cycle_id == opened.id)).all()}
    assert states == {"not_started", "draft", "submitted"}
    assert len(session.exec(select(SelfAssessment).where(SelfAssessment.cycle_id == opened.id)).all()) == 4
    # no reviewer is ever assigned to a platform of their own host institution
    from platform_mgr.models import Platform, User

    hosts = {p.id: p.host_institution for p in session.exec(select(Platform)).all()}
    affiliations = {u.id: u.affiliation for u in session.exec(select(User)).all()}
    for a in session.exec(select(Assignment)).all():
        assert not host_conflict(affiliations[a.reviewer_id], hosts[a.platform_id])
    from platform_mgr.services import audit

    assert audit.verify(session).ok
