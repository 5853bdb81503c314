"""Bounded queries: every list and dashboard page issues the same number of SQL statements
whether the programme is small or four times larger (no N+1)."""
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from sqlalchemy import event

from platform_mgr.db import get_engine


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


def build(make, n):
    """n platforms, each with 2n projects in several stages, milestones (some overdue) and an outcome."""
    admin = make.admin(email="boss@example.com")
    platforms = []
    for i in range(n):
        platform = make.platform(code=f"Q{i}")
        platforms.append(platform)
        operator = make.operator(platform, email=f"op{i}@example.com")
        for j in range(2 * n):
            project = make.project(platform, stage=f"S{j % 5}", trl_current=1 + j % 9)
            make.milestone(project, due_on=date.today() - timedelta(days=5 + j), is_gate_criterion=True)
            make.milestone(project, due_on=date.today() + timedelta(days=5 + j))
            if j % 3 == 0:
                make.outcome(project, kind="licence", occurred_on=date.today() - timedelta(days=20 * j + 1))
        del operator
    return admin, platforms


# (url template, who) — every list and dashboard page; areas add theirs here
PAGES = [
    ("/home", "admin"),
    ("/platforms/", "admin"),
    ("/platforms/{platform}", "admin"),
    ("/platforms/{platform}", "operator"),
    ("/projects/{project}", "operator"),
    ("/dashboards/programme", "admin"),
]


@pytest.mark.parametrize("url,who", PAGES)
def test_page_query_count_does_not_grow_with_data(app, make, db, url, who):
    from sqlmodel import select

    from platform_mgr.models import Project

    counts = []
    for n in (2, 4):
        if n == 4:
            from tests.conftest import _clean

            _clean(app.config["SQLALCHEMY_DATABASE_URI"])
            db.expunge_all()
        admin, platforms = build(make, n)
        client = app.test_client()
        email = admin.email if who == "admin" else "op0@example.com"
        client.post("/login", data={"email": email, "password": "Passw0rd!x"})
        project = db.exec(select(Project).where(Project.platform_id == platforms[0].id)).first()
        target = url.format(platform=platforms[0].id, project=project.id)
        client.get(target)  # warm caches (translations, templates)
        with count_statements(app) as seen:
            response = client.get(target)
        assert response.status_code == 200, target
        counts.append(len(seen))
    assert counts[0] == counts[1], f"{url}: {counts[0]} statements with small data, {counts[1]} with 4× the data"
