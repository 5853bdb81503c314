"""Sign-in, sign-out, throttling, password change, CSRF, cookies."""
from datetime import timedelta

import pytest
from sqlmodel import select

from platform_mgr import create_app
from platform_mgr.config import TestConfig
from platform_mgr.models import AuditEvent, LoginAttempt, User, utcnow


def test_sign_in_with_good_password_reaches_home(client, auth, make):
    user = make.admin(display_name="王主任")
    response = auth.login(user.email)
    assert response.status_code == 302 and response.headers["Location"].endswith("/home")
    assert "王主任" in client.get("/home").get_data(as_text=True)


def test_wrong_password_is_refused_and_says_so(client, auth, make):
    user = make.admin()
    response = auth.login(user.email, "wrong-password", expect=401)
    assert "邮箱或密码不正确" in response.get_data(as_text=True)
    assert client.get("/home").status_code == 302


def test_missing_fields_name_the_field_in_english(client):
    response = client.post("/login?lang=en", data={"email": "", "password": ""})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "This field is required." in html


def test_email_is_case_insensitive(auth, make):
    user = make.admin(email="chief@example.com")
    assert auth.login("Chief@Example.com").status_code == 302
    del user


def test_inactive_user_cannot_sign_in(auth, make):
    user = make.admin(active=False)
    auth.login(user.email, expect=401)


def test_ten_failures_lock_the_account_with_429(client, auth, make, db):
    user = make.admin()
    for _ in range(10):
        auth.login(user.email, "bad", expect=401)
    auth.login(user.email, expect=429)  # even the right password is refused now
    # the failures live in the database, so every worker sees them
    assert db.exec(select(LoginAttempt).where(LoginAttempt.email == user.email)).all().__len__() == 10
    # after the window the account opens again
    for attempt in db.exec(select(LoginAttempt)).all():
        attempt.attempted_at = utcnow() - timedelta(minutes=16)
        db.add(attempt)
    db.commit()
    assert auth.login(user.email).status_code == 302


def test_address_limit_guards_many_accounts(app, client, make):
    app.config["LOGIN_IP_MAX_FAILURES"] = 3
    users = [make.admin() for _ in range(4)]
    for u in users[:3]:
        client.post("/login", data={"email": u.email, "password": "bad"}, expect=401)
    response = client.post("/login", data={"email": users[3].email, "password": "Passw0rd!x"})
    assert response.status_code == 429


def test_sign_out_needs_post_and_ends_session(client, auth, make):
    user = make.admin()
    auth.login(user.email)
    assert client.get("/logout").status_code == 405
    client.post("/logout", expect=302)
    assert client.get("/home").status_code == 302


def test_password_change_ends_other_sessions(app, make, db):
    user = make.admin()
    first, second = app.test_client(), app.test_client()
    for c in (first, second):
        c.post("/login", data={"email": user.email, "password": "Passw0rd!x"}, expect=302)
        assert c.get("/home").status_code == 200
    response = first.post("/account/password", data={
        "current_password": "Passw0rd!x", "new_password": "N3w-passw0rd!", "confirm": "N3w-passw0rd!"})
    assert response.status_code == 302
    assert first.get("/home").status_code == 200  # this session continues
    assert second.get("/home").status_code == 302  # the other one ended
    db.expire_all()
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "change_password")).first() is not None


def test_weak_new_password_is_refused_naming_the_field(client, auth, make):
    user = make.admin()
    auth.login(user.email)
    response = client.post("/account/password?lang=en", data={
        "current_password": "Passw0rd!x", "new_password": "short", "confirm": "short"})
    assert response.status_code == 422
    assert "Use at least 10 characters." in response.get_data(as_text=True)


def test_session_cookie_is_httponly_and_lax(client, auth, make):
    user = make.admin()
    response = auth.login(user.email)
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_csrf_is_required_on_forms(database_url, tmp_path, make):
    class Cfg(TestConfig):
        WTF_CSRF_ENABLED = True
        SQLALCHEMY_DATABASE_URI = database_url
        INSTANCE_PATH = str(tmp_path)

    app = create_app(Cfg)
    client = app.test_client()
    user = make.admin()
    response = client.post("/login", data={"email": user.email, "password": "Passw0rd!x"})
    assert response.status_code == 400  # the CSRF check refuses it before the form is read (as every form: test_security.py)
    assert client.get("/home").status_code == 302


def test_safe_next_redirect_only(client, make):
    user = make.admin()
    response = client.post("/login?next=//evil.example/x", data={"email": user.email, "password": "Passw0rd!x"})
    assert response.headers["Location"].endswith("/home")


@pytest.mark.parametrize("password,email,ok", [
    ("Passw0rd!x", "", True),
    ("correct horse battery", "", True),  # no rules of composition: a long phrase is fine
    ("alllowercaseletters", "", True),
    ("short1A", "", False),  # under 10 characters
    ("1234567890", "", False),  # a common password
    ("qwertyuiop", "", False),
    ("Password123", "", False),  # common, whatever the case
    ("wang.jianguo@example.com", "wang.jianguo@example.com", False),  # the e-mail itself
    ("wang.jianguo-2026", "Wang.Jianguo@example.com", False),  # its name
    ("abc-2026-garden", "ab@example.com", True),  # a name too short to matter
])
def test_password_policy(password, email, ok):
    from platform_mgr.security import password_problems

    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x", "TESTING": True})
    with app.test_request_context():
        assert (password_problems(password, email=email) == []) is ok


def test_the_common_password_list_ships_with_the_app():
    from platform_mgr.security import common_passwords

    words = common_passwords()
    assert len(words) > 19_000 and "123456" in words and "password" in words
    assert all(w == w.lower() for w in list(words)[:500])


def test_passwords_are_argon2id(make, db):
    user = make.admin()
    stored = db.get(User, user.id).password_hash
    assert stored.startswith("$argon2id$")
