"""Sign-in defences and headers (DESIGN §7): CSRF on every web form, the password policy wherever a
password is set, HSTS over HTTPS (behind a proxy only when PROXY_FIX says so)."""
from __future__ import annotations

import pytest
from sqlmodel import func, select

from platform_mgr import create_app
from platform_mgr.config import TestConfig
from platform_mgr.models import AuditEvent, User

from .test_authz_matrix import build_world, _url


@pytest.fixture
def csrf_app(database_url, tmp_path, app):
    class Cfg(TestConfig):
        WTF_CSRF_ENABLED = True
        SQLALCHEMY_DATABASE_URI = database_url
        INSTANCE_PATH = str(tmp_path)
        UPLOAD_DIR = str(tmp_path / "uploads")

    return create_app(Cfg)


def test_every_web_form_refuses_a_post_without_csrf_token(csrf_app, app, db):
    world = build_world(app, db)
    posts = [(f"POST {r.rule}", r) for r in csrf_app.url_map.iter_rules()
             if "POST" in r.methods and not r.rule.startswith("/api/")]
    assert len(posts) >= 30
    audit_before = db.exec(select(func.count()).select_from(AuditEvent)).one()
    accepted = []
    for route, rule in posts:
        for who in ("admin", "op"):
            client = csrf_app.test_client()
            with client.session_transaction() as sess:
                sess["_user_id"] = world["keys"][who]
                sess["_fresh"] = True
            response = client.post(_url(route, rule, world["values"]), data={"note": "x"})
            if response.status_code != 400:
                accepted.append(f"{route} as {who}: {response.status_code}")
    assert not accepted, "forms that took a POST without a CSRF token: " + "; ".join(accepted)
    db.expire_all()
    assert db.exec(select(func.count()).select_from(AuditEvent)).one() == audit_before  # nothing happened


def test_a_form_with_its_token_is_accepted(csrf_app, make):
    user = make.admin()
    client = csrf_app.test_client()
    page = client.get("/login").get_data(as_text=True)
    import re

    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token, "the sign-in form carries a CSRF token"
    response = client.post("/login", data={"email": user.email, "password": "Passw0rd!x", "csrf_token": token.group(1)})
    assert response.status_code == 302


def test_api_needs_no_csrf_token(csrf_app, make, db):
    from tests.factories import Factory

    token = Factory(db).token(make.admin())
    response = csrf_app.test_client().post(
        "/api/v1/platforms", headers={"Authorization": f"Bearer {token}"},
        json={"code": "CSRF1", "name_zh": "平台", "name_en": "P", "field": "bci", "origin": "top_down",
              "host_institution": "某单位"})
    assert response.status_code == 201


@pytest.mark.parametrize("password", ["short1!A", "password123", "qwertyuiop", "admin-newbie@example.com", "admin-newbie1A!"])
def test_cli_applies_the_password_policy(runner, db, password):
    result = runner.invoke(args=["users", "create", "--email", "admin-newbie@example.com", "--role", "admin",
                                 "--password", password])
    assert result.exit_code != 0
    assert "password" in result.output.lower()
    assert db.exec(select(User)).all() == []


def test_cli_accepts_a_good_password(runner, db):
    result = runner.invoke(args=["users", "create", "--email", "new@example.com", "--role", "admin",
                                 "--password", "Kq7#mWz2!pLx"])
    assert result.exit_code == 0, result.output
    assert db.exec(select(User)).one().email == "new@example.com"


def test_password_change_applies_the_policy_and_keeps_the_old_one(client, auth, make, db):
    user = make.admin()
    auth.login(user.email)
    old_hash = user.password_hash
    response = client.post("/account/password?lang=en", data={"current_password": "Passw0rd!x",
                                                              "new_password": "password", "confirm": "password"})
    assert response.status_code == 422
    assert "password" in response.get_data(as_text=True).lower()
    db.refresh(user)
    assert user.password_hash == old_hash


HSTS = "Strict-Transport-Security"


def test_hsts_only_over_https(client):
    assert HSTS not in client.get("/login").headers
    secure = client.get("/login", base_url="https://localhost")
    assert "max-age=" in secure.headers[HSTS]


def test_forwarded_proto_is_ignored_without_proxy_fix(client):
    response = client.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert HSTS not in response.headers


def test_forwarded_proto_is_honoured_with_proxy_fix(database_url, tmp_path, app):
    class Cfg(TestConfig):
        SQLALCHEMY_DATABASE_URI = database_url
        INSTANCE_PATH = str(tmp_path)
        PROXY_FIX = 1

    proxied = create_app(Cfg).test_client()
    assert HSTS in proxied.get("/login", headers={"X-Forwarded-Proto": "https"}).headers
    assert HSTS not in proxied.get("/login", headers={"X-Forwarded-Proto": "http"}).headers


def test_security_headers_on_every_kind_of_answer(client):
    for url, status in (("/login", 200), ("/api/v1/me", 401), ("/no-such-page", 404), ("/static/css/app.css", 200)):
        with client.get(url, expect=status) as response:
            headers = response.headers
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert "unsafe-inline" not in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
