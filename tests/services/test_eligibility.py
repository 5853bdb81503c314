"""Funding eligibility at the service level: database rows → verdicts, tiers and awards (DESIGN §5).

Every expected figure below is worked out by hand in the comments.  The default rubric has maxima
VC 30 / SE 45 / OM 25; `make.review(cycle, reviewer, platform, pct)` gives every criterion pct% of
its maximum, so a reviewer total is pct points and the dimension means are 0.3/0.45/0.25 × pct.
"""
from __future__ import annotations

import json
from datetime import date, datetime, timezone

import pytest

from platform_mgr.canonical import canonical_json, sha256_hex
from sqlmodel import select

from platform_mgr.domain.eligibility import milestone_figures
from platform_mgr.errors import Invalid
from platform_mgr.models import AuditEvent, EligibilitySnapshot, GateReview, Milestone, Project
from platform_mgr.queries import eligibility as eq
from platform_mgr.services import eligibility as svc

CLOSE = datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc)  # after the window 2026-01-01 … 2026-10-31
IN_WINDOW = datetime(2026, 5, 1, 4, 0, tzinfo=timezone.utc)


def gate(db, project, decided_at, decision="go"):
    row = GateReview(project_id=project.id, from_stage="S0", to_stage="S1", decision=decision,
                     decided_at=decided_at, requested_at=decided_at)
    db.add(row)
    db.commit()
    return row


def reviews(make, cycle, platform, reviewers, pcts, **kw):
    for reviewer, pct in zip(reviewers, pcts):
        make.review(cycle, reviewer, platform, pct, **kw)


def scenario(make, db, *, budget=6_000_000, state="closed"):
    """Six platforms, three reviewers, a budget that runs out part-way.

    rank  code   reviews          total  grade (cutoff ceil(0.3×5)=2)  rules failing   verdict      award
    1     EPS    100 100 100      100    excellent                     R6 (veto)       ineligible   0
    2     ALPHA  100 90 90        93.33  excellent → tier A            –               eligible     5,000,000
    3     BETA   90 90 90         90     good (rank 3 > 2) → tier B    –               eligible     min(2M, 1M) = 1,000,000
    4     DELTA  80 80 (+conflict) 80    good                          R1 (n = 2)      ineligible   0
    5     GAMMA  80 80 80         80     good                          R5 (no gate)    conditional  0
    –     ZETA   none             –      –                             R1 R2 R3        ineligible   0
    DELTA and GAMMA tie on 80 and on the service mean (36): the code decides, DELTA first.
    BETA's only gate was decided 2026-01-01 00:30 in Shanghai (inside the window); GAMMA's at
    2025-12-31 23:59 Shanghai (outside), plus a hold inside and a go after the window.
    """
    cycle = make.cycle(state=state, budget=budget)
    r = [make.reviewer() for _ in range(3)]
    p = {
        "EPS": make.platform(code="EPS", integrity_flag=True, integrity_note="数据造假"),
        "ALPHA": make.platform(code="ALPHA", field="silicon_photonics", origin="bottom_up", name_zh="硅光概念验证中心"),
        "BETA": make.platform(code="BETA", field="cell_gene_therapy"),
        "GAMMA": make.platform(code="GAMMA"),
        "DELTA": make.platform(code="DELTA"),
        "ZETA": make.platform(code="ZETA"),
    }
    reviews(make, cycle, p["EPS"], r, [100, 100, 100])
    reviews(make, cycle, p["ALPHA"], r, [100, 90, 90])
    reviews(make, cycle, p["BETA"], r, [90, 90, 90])
    reviews(make, cycle, p["GAMMA"], r, [80, 80, 80])
    reviews(make, cycle, p["DELTA"], r[:2], [80, 80])
    make.review(cycle, r[2], p["DELTA"], 100, conflict=True)  # declared conflict: does not count
    projects = {code: make.project(platform) for code, platform in p.items()}
    for code in ("EPS", "ALPHA", "DELTA", "ZETA"):
        gate(db, projects[code], IN_WINDOW)
    gate(db, projects["BETA"], datetime(2025, 12, 31, 16, 30, tzinfo=timezone.utc))
    gate(db, projects["GAMMA"], datetime(2025, 12, 31, 15, 59, tzinfo=timezone.utc))
    gate(db, projects["GAMMA"], IN_WINDOW, decision="hold")
    gate(db, projects["GAMMA"], datetime(2026, 11, 2, tzinfo=timezone.utc))
    return cycle, p, r, projects


def by_code(result):
    return {row["code"]: row for row in result.rows}


def reason(row, rule):
    return next(x for x in row["reasons"] if x["rule"] == rule)


EXPECTED = [
    # code, rank, total, grade, verdict, tier, award
    ("EPS", 1, 100.0, "excellent", "ineligible", None, 0),
    ("ALPHA", 2, 93.33, "excellent", "eligible", "A", 5_000_000),
    ("BETA", 3, 90.0, "good", "eligible", "B", 1_000_000),
    ("DELTA", 4, 80.0, "good", "ineligible", None, 0),
    ("GAMMA", 5, 80.0, "good", "conditional", None, 0),
    ("ZETA", None, None, None, "ineligible", None, 0),
]


def test_hand_worked_scenario_live(app, db, make):
    cycle, *_ = scenario(make, db, state="open")
    result = svc.compute(db, cycle, today=date(2026, 11, 15))
    assert result.provisional and not result.frozen
    got = [(r["code"], r["rank"], r["total"], r["grade"], r["verdict"], r["tier"], r["award"]) for r in result.rows]
    assert got == EXPECTED
    assert result.summary["awarded"] == 6_000_000 and result.summary["remaining"] == 0
    assert result.summary["eligible"] == 2 and result.summary["conditional"] == 1
    rows = by_code(result)
    assert [x["rule"] for x in rows["ALPHA"]["reasons"]] == [
        "R1_MIN_REVIEWS", "R2_GRADE", "R3_DIMENSION_FLOOR", "R4_MILESTONES", "R5_ACTIVITY", "R6_INTEGRITY",
        "R7_STATUS"]
    # why BETA is tier B: total 90 reaches Excellent but rank 3 is outside the top 30 % (2 of 5)
    r2 = reason(rows["BETA"], "R2_GRADE")
    assert r2["passed"] and r2["figures"]["top_rank_cutoff"] == 2 and r2["figures"]["rank"] == 3
    assert "rank 3 is outside the top 30% (first 2 of 5 scored platforms)" in r2["detail_en"]
    assert "排名第 3 位" in r2["detail_zh"] and "B 档" in r2["detail_zh"]
    # the Shanghai-day boundary of the window: 00:30 on 1 January counts, 23:59 on 31 December does not
    assert reason(rows["BETA"], "R5_ACTIVITY")["figures"]["gates_passed"] == 1
    r5 = reason(rows["GAMMA"], "R5_ACTIVITY")
    assert not r5["passed"] and r5["figures"]["gates_passed"] == 0
    assert r5["detail_zh"] == "数据窗口内通过阶段门 0 次，要求至少 1 次"
    r6 = reason(rows["EPS"], "R6_INTEGRITY")
    assert not r6["passed"] and "veto" in r6["detail_en"] and "一票否决" in r6["detail_zh"]
    r1 = reason(rows["DELTA"], "R1_MIN_REVIEWS")  # the conflicted review is not counted
    assert not r1["passed"] and r1["figures"] == {"n_reviews": 2, "min_reviews": 3}
    assert rows["DELTA"]["n_reviews"] == 2
    assert {x["rule"] for x in rows["ZETA"]["reasons"] if not x["passed"]} == {
        "R1_MIN_REVIEWS", "R2_GRADE", "R3_DIMENSION_FLOOR"}
    assert rows["ALPHA"]["dimensions"] == {"verification": 28.0, "service": 42.0, "operating": 23.33}
    assert (rows["ALPHA"]["name_zh"], rows["ALPHA"]["field"], rows["ALPHA"]["origin"]) == (
        "硅光概念验证中心", "silicon_photonics", "bottom_up")


def test_cycle_rule_overrides_are_applied(app, db, make):
    """min_reviews 2 lets DELTA through R1 — it becomes eligible B behind BETA, but the budget is spent."""
    cycle, *_ = scenario(make, db, state="open")
    cycle.rules = {"min_reviews": 2}
    db.add(cycle)
    db.commit()
    rows = by_code(svc.compute(db, cycle, today=date(2026, 11, 15)))
    assert (rows["DELTA"]["verdict"], rows["DELTA"]["tier"], rows["DELTA"]["award"]) == ("eligible", "B", 0)


def test_bad_rule_override_is_a_422_naming_the_field(app, db, make):
    cycle = make.cycle(state="open", rules={"min_reviews": 0})
    with app.test_request_context("/"), pytest.raises(Invalid) as info:
        svc.compute(db, cycle)
    message = info.value.fields["min_reviews"]  # rendered in the language of the response that shows it
    with app.test_request_context("/?lang=en"):
        assert str(message) == "Minimum counted reviews must be between 1 and 100"
    with app.test_request_context("/"):
        assert str(message) == "最少有效评审数须在 1 至 100 之间"


def test_dimension_floor_suspended_status_and_delisted(app, db, make):
    """FLOOR: VC and SE full, OM nothing: total 75 (Good) but OM 0 < 60 % × 25 = 15 → R3 fails → ineligible.
    SUSP: 90 from everyone but suspended → R7 fails.  GONE: delisted, never assigned → not evaluated."""
    cycle = make.cycle(state="open")
    r = [make.reviewer() for _ in range(3)]
    floor = make.platform(code="FLOOR")
    susp = make.platform(code="SUSP", status="suspended")
    make.platform(code="GONE", status="delisted")
    full = {"VC1": 8, "VC2": 8, "VC3": 6, "VC4": 8, "SE1": 10, "SE2": 10, "SE3": 10, "SE4": 10, "SE5": 5,
            "OM1": 0, "OM2": 0, "OM3": 0, "OM4": 0}
    for reviewer in r:
        make.review(cycle, reviewer, floor, full)
        make.review(cycle, reviewer, susp, 90)
    gate(db, make.project(floor), IN_WINDOW)
    gate(db, make.project(susp), IN_WINDOW)
    rows = by_code(svc.compute(db, cycle, today=date(2026, 11, 15)))
    assert set(rows) == {"FLOOR", "SUSP"}
    assert (rows["FLOOR"]["total"], rows["FLOOR"]["grade"], rows["FLOOR"]["verdict"]) == (75.0, "good", "ineligible")
    r3 = reason(rows["FLOOR"], "R3_DIMENSION_FLOOR")
    assert not r3["passed"] and r3["figures"]["below"] == "operating" and r3["figures"]["operating_floor"] == 15
    assert "Operating model 0.00/25 is below the floor of 15.00" in r3["detail_en"]
    assert rows["SUSP"]["verdict"] == "ineligible" and rows["SUSP"]["grade"] == "excellent"
    r7 = reason(rows["SUSP"], "R7_STATUS")
    assert not r7["passed"] and r7["detail_zh"] == "平台状态为暂停，须为运行中"


def milestone(make, project, due, status="planned", completed=None, must=False):
    return make.milestone(project, due_on=due, status=status, completed_on=completed, is_gate_criterion=must)


def test_r4_milestones_from_sql_aggregates(app, db, make):
    """At the window's end (2026-10-31):
    LATE: a must-meet milestone due 2026-07-01 still open → 122 days overdue > 90 → R4 fails; with Good
          grade and a gate passed, only R4 fails → conditional.
    OK:   a must-meet due 2026-08-15 open (77 days ≤ 90); due in window: 4 (waived one excluded),
          on time 3 (one done late) → 75 % ≥ 70 % → passes.  A killed project's milestone 200 days
          overdue and a withdrawn one's are left out.
    NONE: no milestone due in the window → passes.
    """
    cycle = make.cycle(state="open")
    r = [make.reviewer() for _ in range(3)]
    late, ok, none = make.platform(code="LATE"), make.platform(code="OK"), make.platform(code="NONE")
    for p in (late, ok, none):
        reviews(make, cycle, p, r, [80, 80, 80])
    pl, po, pn = make.project(late), make.project(ok), make.project(none)
    for pr in (pl, po, pn):
        gate(db, pr, IN_WINDOW)
    milestone(make, pl, date(2026, 7, 1), must=True)
    milestone(make, po, date(2026, 8, 15), must=True)  # due in window, open: not on time
    milestone(make, po, date(2026, 3, 1), "done", date(2026, 2, 20))
    milestone(make, po, date(2026, 4, 1), "done", date(2026, 4, 1))
    milestone(make, po, date(2026, 5, 1), "done", date(2026, 4, 30), must=True)
    milestone(make, po, date(2026, 6, 1), "waived")
    milestone(make, po, date(2026, 12, 1))  # after the window: nothing
    milestone(make, pn, date(2025, 6, 1), "done", date(2025, 6, 1))  # before the window
    killed = make.project(ok, status="killed")
    milestone(make, killed, date(2026, 4, 14), must=True)
    withdrawn = make.project(ok, status="withdrawn")
    milestone(make, withdrawn, date(2026, 5, 1), must=True)

    result = svc.compute(db, cycle, today=date(2026, 12, 1))
    rows = by_code(result)
    r4 = reason(rows["LATE"], "R4_MILESTONES")
    assert not r4["passed"] and r4["figures"]["max_must_meet_overdue_days"] == 122
    assert rows["LATE"]["verdict"] == "conditional"
    assert "122 days overdue (over the limit of 90)" in r4["detail_en"]
    r4 = reason(rows["OK"], "R4_MILESTONES")
    assert r4["passed"]
    assert {k: r4["figures"][k] for k in ("max_must_meet_overdue_days", "due_in_window", "on_time_in_window",
                                          "on_time_rate_pct")} == {
        "max_must_meet_overdue_days": 77, "due_in_window": 4, "on_time_in_window": 3, "on_time_rate_pct": 75.0}
    assert rows["OK"]["verdict"] == "eligible"
    r4 = reason(rows["NONE"], "R4_MILESTONES")
    assert r4["passed"] and r4["figures"]["on_time_rate_pct"] is None and "没有到期的里程碑" in r4["detail_zh"]

    # the SQL aggregate agrees with the pure definition on the same rows
    live = db.exec(select(Milestone.is_gate_criterion, Milestone.status, Milestone.due_on, Milestone.completed_on)
                   .join(Project, Project.id == Milestone.project_id)
                   .where(Project.platform_id == ok.id, Project.status.not_in(("killed", "withdrawn")))).all()
    sql = eq.milestone_figures_by_platform(db, date(2026, 1, 1), date(2026, 10, 31))
    assert sql[ok.id] == milestone_figures(live, date(2026, 1, 1), date(2026, 10, 31))


def test_live_run_inside_the_window_measures_today(app, db, make):
    """On 2026-06-01 (window still running) a must-meet milestone due 2026-07-01 is not overdue yet, and one
    due 2026-05-01 is 31 days overdue; at the window's end it would be 183."""
    cycle = make.cycle(state="open")
    p = make.platform(code="NOW")
    pr = make.project(p)
    milestone(make, pr, date(2026, 5, 1), must=True)
    milestone(make, pr, date(2026, 7, 1), must=True)
    row = by_code(svc.compute(db, cycle, today=date(2026, 6, 1)))["NOW"]
    assert reason(row, "R4_MILESTONES")["figures"]["max_must_meet_overdue_days"] == 31
    assert svc.compute(db, cycle, today=date(2026, 6, 1)).as_of == date(2026, 6, 1)
    row = by_code(svc.compute(db, cycle, today=date(2027, 1, 1)))["NOW"]
    assert reason(row, "R4_MILESTONES")["figures"]["max_must_meet_overdue_days"] == 183


def test_freeze_then_change_data_changes_nothing(app, db, make):
    cycle, p, r, projects = scenario(make, db)
    snapshot = svc.freeze_snapshot(db, cycle, now=CLOSE)
    before = svc.get_eligibility(db, cycle)
    assert before.frozen and not before.provisional and before.frozen_at == CLOSE
    got = [(x["code"], x["rank"], x["total"], x["grade"], x["verdict"], x["tier"], x["award"]) for x in before.rows]
    assert got == EXPECTED
    assert snapshot.payload_digest == sha256_hex(snapshot.payload)
    assert snapshot.inputs_digest == before.inputs().digest()
    assert snapshot.rubric_version == 1 and snapshot.rules["min_reviews"] == 3
    assert set(snapshot.export_digests) == {"eligibility.csv", "eligibility.xlsx", "eligibility.public.csv",
                                            "eligibility.public.xlsx", "results.csv", "results.xlsx"}
    event = db.exec(select(AuditEvent).where(AuditEvent.entity_type == "eligibility_snapshot")).one()
    assert event.action == "freeze" and event.after["payload_digest"] == snapshot.payload_digest

    # the world moves on: a new review, a renamed platform, an integrity flag lifted, a gate, overdue work
    extra = make.reviewer()
    make.review(cycle, extra, p["DELTA"], 100)
    p["ALPHA"].name_zh = "改名后的平台"
    p["EPS"].integrity_flag = False
    cycle.budget = 99_000_000
    db.add_all([p["ALPHA"], p["EPS"], cycle])
    db.commit()
    gate(db, projects["GAMMA"], IN_WINDOW)
    milestone(make, projects["ALPHA"], date(2026, 2, 1), must=True)

    again = svc.freeze_snapshot(db, cycle, now=datetime(2027, 1, 1, tzinfo=timezone.utc))  # idempotent
    assert again.id == snapshot.id and again.payload == snapshot.payload
    after = svc.get_eligibility(db, cycle)
    assert after.rows == before.rows and after.summary == before.summary
    assert after.payload_digest == before.payload_digest
    from platform_mgr.exports import snapshot_digests

    assert snapshot_digests(after) == snapshot.export_digests
    assert len(db.exec(select(EligibilitySnapshot)).all()) == 1
    # … while a live run sees the new data
    live = by_code(svc.compute(db, cycle, today=date(2026, 12, 2)))
    assert live["EPS"]["verdict"] == "eligible" and live["ALPHA"]["name_zh"] == "改名后的平台"


def test_a_frozen_snapshot_keeps_the_arithmetic_it_was_frozen_with(app, db, make, monkeypatch):
    """Issue 15 changed the dimension means (trimmed like the total).  A snapshot frozen before a change of
    arithmetic is read as it was frozen: neither the rows, the dimensions nor the export bytes are
    recomputed.  Here the snapshot is frozen with no trimming at all (the arithmetic patched), then read
    with today's: totals 100 100 100 100 0 → frozen mean 80 and verification 24; live trimmed 100 and 30."""
    from platform_mgr.domain import scoring
    from platform_mgr.exports import snapshot_digests

    cycle = make.cycle(state="closed")
    platform = make.platform(code="TRIM")
    for pct in (100, 100, 100, 100, 0):
        make.review(cycle, make.reviewer(), platform, pct)
    with monkeypatch.context() as patched:
        patched.setattr(scoring, "trimmed_reviews", lambda reviews, total_of: list(reviews))
        snapshot = svc.freeze_snapshot(db, cycle, now=CLOSE)
        db.commit()
    frozen = by_code(svc.get_eligibility(db, cycle))["TRIM"]
    assert (frozen["total"], frozen["dimensions"]["verification"], frozen["n_reviews"]) == (80.0, 24.0, 5)
    assert snapshot_digests(svc.get_eligibility(db, cycle)) == snapshot.export_digests
    live = by_code(svc.compute(db, cycle, today=date(2026, 12, 2)))["TRIM"]
    assert (live["total"], live["dimensions"]["verification"]) == (100.0, 30.0)
    db.expire_all()
    assert db.get(EligibilitySnapshot, snapshot.id).payload == snapshot.payload


def test_published_cycle_reads_the_snapshot(app, db, make):
    cycle, *_ = scenario(make, db)
    svc.freeze_snapshot(db, cycle, now=CLOSE)
    cycle.state = "published"
    db.add(cycle)
    db.commit()
    result = svc.get_eligibility(db, cycle)
    assert result.frozen and [x["award"] for x in result.rows] == [e[-1] for e in EXPECTED]


def test_closed_cycle_without_snapshot_is_shown_live_and_provisional(app, db, make):
    cycle, *_ = scenario(make, db)
    result = svc.get_eligibility(db, cycle)
    assert result.provisional and not result.frozen


def test_what_if_on_a_frozen_cycle_uses_frozen_inputs_and_writes_nothing(app, db, make):
    cycle, p, r, projects = scenario(make, db)
    snapshot = svc.freeze_snapshot(db, cycle, now=CLOSE)
    events = len(db.exec(select(AuditEvent)).all())
    make.review(cycle, make.reviewer(), p["DELTA"], 100)  # after the close: the simulation must not see it
    # min_reviews 2 → DELTA passes R1; budget 8M → ALPHA 5M, BETA 2M, DELTA (B) 1M
    sim = svc.simulate(db, cycle, {"min_reviews": "2"}, budget="8000000")
    assert sim.simulated and sim.provisional and not sim.frozen
    rows = by_code(sim)
    assert (rows["DELTA"]["verdict"], rows["DELTA"]["tier"], rows["DELTA"]["award"], rows["DELTA"]["n_reviews"]) == (
        "eligible", "B", 1_000_000, 2)
    assert rows["BETA"]["award"] == 2_000_000 and sim.summary["remaining"] == 0
    # a stricter Excellent threshold: nobody is Excellent, ALPHA drops to tier B
    rows = by_code(svc.simulate(db, cycle, {"excellent": 95}))
    assert (rows["ALPHA"]["grade"], rows["ALPHA"]["tier"], rows["ALPHA"]["award"]) == ("good", "B", 2_000_000)
    # nothing was written
    db.expire_all()
    assert db.get(EligibilitySnapshot, snapshot.id).payload == snapshot.payload
    assert len(db.exec(select(AuditEvent)).all()) == events
    assert db.get(type(cycle), cycle.id).rules == {}


@pytest.mark.parametrize("overrides,budget,field", [
    ({"good": 95}, None, "good"),  # above Excellent (90)
    ({"min_reviews": "abc"}, None, "min_reviews"),
    ({"tier_b_cap": 9_000_000}, None, "tier_b_cap"),
    ({"nonsense": 1}, None, "nonsense"),
    ({}, "-5", "budget"),
    ({}, "1e6", "budget"),
])
def test_what_if_bad_input_names_the_field(app, db, make, overrides, budget, field):
    cycle = make.cycle(state="open")
    with app.test_request_context("/"), pytest.raises(Invalid) as info:
        svc.simulate(db, cycle, overrides, budget=budget)
    assert field in info.value.fields


def test_snapshot_payload_is_canonical_and_keeps_its_inputs(app, db, make):
    cycle, *_ = scenario(make, db)
    snapshot = svc.freeze_snapshot(db, cycle, now=CLOSE)
    document = json.loads(snapshot.payload)
    assert canonical_json(document) == snapshot.payload
    assert document["frozen_at"] == "2026-12-01T02:00:00Z" and document["as_of"] == "2026-10-31"
    inputs = svc.EligibilityInputs.from_json(document["inputs"])
    assert inputs.to_json() == document["inputs"]
    assert len(inputs.reviews) == 15 and len(inputs.platforms) == 6
    # re-evaluating the frozen inputs with the frozen rules reproduces the frozen rows exactly
    rebuilt = svc.build_document(cycle, inputs, svc.rules_for(cycle), document["budget"])
    assert rebuilt["rows"] == document["rows"]
