"""Commands: users create/token, seed-demo, audit verify."""
from sqlalchemy import text, update
from sqlmodel import select

from platform_mgr import clock
from platform_mgr.models import AuditEvent, Milestone, OperatorPlatform, Outcome, Platform, Project, User


def test_users_create_and_token(runner, make, db, client):
    platform = make.platform(code="SIPH")
    result = runner.invoke(args=["users", "create", "--email", "Op@Example.com", "--role", "operator",
                                 "--password", "Str0ng-pass!", "--platform", "siph", "--affiliation", "某研究所"])
    assert result.exit_code == 0, result.output
    user = db.exec(select(User).where(User.email == "op@example.com")).one()
    assert user.role == "operator" and user.affiliation == "某研究所"
    assert db.get(OperatorPlatform, (user.id, platform.id)) is not None
    result = runner.invoke(args=["users", "token", "--email", "op@example.com"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert token.startswith("pm_") and " " not in token
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert me["role"] == "operator" and me["platforms"][0]["code"] == "SIPH"
    assert token not in str(db.exec(text("SELECT token_hash FROM api_token")).all())  # only a hash is stored


def test_users_token_label_days_and_revoke_by_prefix(runner, make, db, client):
    from datetime import timedelta

    from platform_mgr.models import ApiToken

    user = make.user(role="finance", email="cfo@example.com")
    result = runner.invoke(args=["users", "token", "--email", user.email, "--label", "ledger sync", "--days", "14"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    row = db.exec(select(ApiToken).where(ApiToken.user_id == user.id)).one()
    assert row.label == "ledger sync" and row.expires_at - row.created_at == timedelta(days=14)
    assert row.prefix in result.output and token.startswith(row.prefix)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=headers, expect=200).get_json()["role"] == "finance"
    too_long = runner.invoke(args=["users", "token", "--email", user.email, "--days", "400"])
    assert too_long.exit_code == 2 and "days" in too_long.output
    result = runner.invoke(args=["users", "revoke-token", "--prefix", row.prefix])
    assert result.exit_code == 0 and f"revoked token {row.prefix}" in result.output
    assert client.get("/api/v1/me", headers=headers, expect=401).get_json()["error"]["code"] == "unauthorized"
    unknown = runner.invoke(args=["users", "revoke-token", "--prefix", "pm_nothing"])
    assert unknown.exit_code == 2 and "令牌不存在" in unknown.output


def test_users_create_knows_every_role(runner, db):
    for role in ("finance", "applicant"):
        result = runner.invoke(args=["users", "create", "--email", f"{role}@example.com", "--role", role,
                                     "--password", "Str0ng-pass!"])
        assert result.exit_code == 0, result.output
    assert sorted(u.role for u in db.exec(select(User))) == ["applicant", "finance"]


def test_users_create_refuses_bad_input(runner, db):
    result = runner.invoke(args=["users", "create", "--email", "not-an-email", "--role", "admin", "--password", "x"])
    assert result.exit_code == 2
    assert "email" in result.output
    assert db.exec(select(User)).all() == []


def test_seed_demo_creates_the_five_platforms(runner, db):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    codes = sorted(db.exec(select(Platform.code)).all())
    assert codes == ["BCI", "CGT", "ICMAT", "SEMI4", "SIPH"]
    assert "admin@example.com" in result.output and "op-bci@example.com" in result.output
    stages = set(db.exec(select(Project.stage)).all())
    assert stages == {"S0", "S1", "S2", "S3", "S4"}
    kinds = set(db.exec(select(Outcome.kind)).all())
    assert kinds == {"licence", "assignment", "equity", "spinout", "follow_on_investment", "contract"}

    overdue = db.exec(select(Milestone).where(Milestone.status.in_(["planned", "in_progress"]),
                                              Milestone.due_on < clock.today())).all()
    assert overdue, "the demo shows overdue milestones"
    # a second run refuses; --if-empty is a no-op
    assert runner.invoke(args=["seed-demo"]).exit_code == 2
    assert runner.invoke(args=["seed-demo", "--if-empty"]).exit_code == 0
    assert len(db.exec(select(Platform)).all()) == 5


def test_seed_is_deterministic(app, db):
    from datetime import date

    from platform_mgr.db import get_engine, new_session
    from platform_mgr.services import seed

    def snapshot():
        with new_session(get_engine(app.config["SQLALCHEMY_DATABASE_URI"])) as s:
            return [(p.title_zh, p.stage, p.status, p.budget, p.trl_current)
                    for p in s.exec(select(Project).order_by(Project.id)).all()]

    with new_session(get_engine(app.config["SQLALCHEMY_DATABASE_URI"])) as s:
        seed.seed(s, today=date(2026, 11, 1))
        s.commit()
    first = snapshot()
    from tests.conftest import _clean

    _clean(app.config["SQLALCHEMY_DATABASE_URI"])
    with new_session(get_engine(app.config["SQLALCHEMY_DATABASE_URI"])) as s:
        seed.seed(s, today=date(2026, 11, 1))
        s.commit()
    assert snapshot() == first


def test_audit_verify_passes_then_fails_on_an_edited_event(runner, make, api, db):
    admin = make.admin()
    client = api(admin)
    for code in ("A1", "A2", "A3"):
        client.post("/api/v1/platforms", json={"code": code, "name_zh": "平台", "name_en": "P", "field": "bci",
                                               "origin": "top_down", "host_institution": "某单位"}, expect=201)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "intact" in result.output
    events = db.exec(select(AuditEvent).where(AuditEvent.entity_type == "platform").order_by(AuditEvent.id)).all()
    db.exec(update(AuditEvent).where(AuditEvent.id == events[1].id).values(action="delete"))
    db.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"event {events[1].id}" in result.output


def test_audit_verify_detects_a_deleted_tail(runner, make, api, db):
    client = api(make.admin())
    client.post("/api/v1/platforms", json={"code": "T1", "name_zh": "平台", "name_en": "P", "field": "bci",
                                           "origin": "top_down", "host_institution": "某单位"}, expect=201)
    last = db.exec(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    db.delete(last)
    db.commit()
    assert runner.invoke(args=["audit", "verify"]).exit_code == 1
