"""`seed-demo --scale large`: the same generator as the demo, deterministic, both cycles scored.

The large scale is exercised here at a reduced size (the same code path: `SCALES["large"]` is swapped
for a smaller `Scale`) so the test stays quick; bench/run.py loads the full size."""
from datetime import date

import pytest
from sqlalchemy import text
from sqlmodel import select

from platform_mgr.models import Assignment, EligibilitySnapshot, Milestone, Platform, Project, ReviewCycle, User
from platform_mgr.services import seed as seed_service
from tests.conftest import _clean

TODAY = date(2026, 11, 27)

# table → columns that identify its content (no salted hashes, no wall-clock stamps)
CONTENT = {
    "platform": "code, name_zh, field, origin, host_institution, status, integrity_flag, founded_on",
    "user": "email, role, display_name, affiliation",
    "project": "id, platform_id, title_zh, lead, stage, status, trl_entry, trl_current, budget, started_on",
    "milestone": "id, project_id, stage, title, due_on, status, completed_on, trl_claimed, is_gate_criterion",
    "gate_review": "id, project_id, from_stage, to_stage, decision, decided_at",
    "outcome": "id, project_id, kind, counterparty, amount, occurred_on",
    "review_cycle": "id, name, state, window_start, window_end, opens_at, closes_at, budget",
    "assignment": "id, cycle_id, reviewer_id, platform_id, review_state, conflict_declared, comment",
    "score": "assignment_id, criterion_id, points_tenths",
    "self_assessment": "cycle_id, platform_id, verification, service, operating",
}


@pytest.fixture
def small_large(monkeypatch):
    monkeypatch.setitem(seed_service.SCALES, "large",
                        seed_service.Scale(platforms=12, projects_per_platform=10, milestones_per_project=10,
                                           reviewers=40))


def _dump(db) -> dict[str, list]:
    out = {}
    for table, columns in CONTENT.items():
        out[table] = [tuple(r) for r in db.execute(text(f'SELECT {columns} FROM "{table}" ORDER BY {columns}')).all()]
    return out


def test_large_seed_is_deterministic(app, db, small_large):
    seed_service.seed(db, scale="large", today=TODAY)
    db.commit()
    first = _dump(db)
    payload = db.exec(select(EligibilitySnapshot.payload_digest)).one()
    _clean(app.config["SQLALCHEMY_DATABASE_URI"])
    db.expunge_all()
    seed_service.seed(db, scale="large", today=TODAY)
    db.commit()
    second = _dump(db)
    assert {t: len(rows) for t, rows in first.items()} == {t: len(rows) for t, rows in second.items()}
    for table in CONTENT:
        assert first[table] == second[table], table
    assert db.exec(select(EligibilitySnapshot.payload_digest)).one() == payload
    assert len(first["milestone"]) == 12 * 10 * 10


def test_large_seed_scores_both_cycles(app, db, small_large):
    seed_service.seed(db, scale="large", today=TODAY)
    db.commit()
    active = set(db.exec(select(Platform.id).where(Platform.status == "active")).all())
    closed = db.exec(select(ReviewCycle).where(ReviewCycle.state == "closed")).one()
    current = db.exec(select(ReviewCycle).where(ReviewCycle.state == "open")).one()
    assert db.exec(select(EligibilitySnapshot).where(EligibilitySnapshot.cycle_id == closed.id)).one()

    def submitted_by_platform(cycle):
        counts = {}
        for a in db.exec(select(Assignment).where(Assignment.cycle_id == cycle.id)).all():
            if a.review_state == "submitted" and not a.conflict_declared:
                counts[a.platform_id] = counts.get(a.platform_id, 0) + 1
        return counts

    states = [a.review_state for a in db.exec(select(Assignment).where(Assignment.cycle_id == closed.id)).all()]
    assert states and set(states) == {"submitted"}  # the closed cycle: every review submitted
    closed_counts = submitted_by_platform(closed)
    assert set(closed_counts) == active and min(closed_counts.values()) >= 3
    open_counts = submitted_by_platform(current)  # the open cycle: every platform has ≥ 4 submitted reviews
    assert set(open_counts) == active and min(open_counts.values()) >= 4
    open_states = [a.review_state for a in db.exec(select(Assignment).where(Assignment.cycle_id == current.id)).all()]
    assert open_states.count("submitted") > 0.8 * len(open_states)
    assert {"draft", "not_started"} <= set(open_states)  # still work in progress
    # scale: every platform has its projects and every project its milestones; a reviewer pool
    assert len(db.exec(select(Project.id)).all()) == 120
    assert {n for (n,) in db.execute(text("SELECT COUNT(*) FROM milestone GROUP BY project_id")).all()} == {10}
    assert len(db.exec(select(User.id).where(User.role == "reviewer")).all()) == 40
    assert db.exec(select(Milestone.id).where(Milestone.status == "in_progress")).first() is not None


def test_seed_demo_cli_large_analyzes_and_reports(runner, db, small_large):
    result = runner.invoke(args=["seed-demo", "--scale", "large"])
    assert result.exit_code == 0, result.output
    assert "demo data loaded (large): 12 platforms, 120 projects, 1200 milestones" in result.output
    assert db.exec(select(Platform.id)).first() is not None
