"""Sign-in, sign-out, throttling, password change, CSRF, cookies."""
from datetime import timedelta

import pytest
from sqlmodel import select

from platform_mgr import create_app
from platform_mgr.config import TestConfig
from platform_mgr.models import AuditEvent, LoginAttempt, User


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


# --- throttling: a delay per (account, address), a block per address for distinct-account stuffing ---------

A, B = "203.0.113.7", "198.51.100.9"


def _sign_in(client, email, password="bad", address=A, expect=401):
    return client.post("/login?lang=en", data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": address}, expect=expect)


def _fail(client, clock, email, address=A):
    """One more counted failure of (email, address): if the pair must wait, the clock is moved past the wait."""
    response = _sign_in(client, email, address=address, expect=None)
    if response.status_code == 429:
        clock.shift(timedelta(seconds=int(response.headers["Retry-After"])))
        response = _sign_in(client, email, address=address)
    assert response.status_code == 401


def test_failures_from_one_address_never_delay_the_right_password_from_another(app, make, db, frozen_clock):
    user = make.admin()
    guesser = app.test_client()
    for _ in range(10):
        _fail(guesser, frozen_clock, user.email, A)
    assert len(db.exec(select(LoginAttempt).where(LoginAttempt.email == user.email)).all()) == 10
    _sign_in(guesser, user.email, "Passw0rd!x", A, expect=429)  # at A even the right password waits, unchecked
    _sign_in(app.test_client(), user.email, "Passw0rd!x", B, expect=302)  # the owner elsewhere: at once
    # the owner's sign-in at B does not reset the guesser's delay at A
    assert len(db.exec(select(LoginAttempt).where(LoginAttempt.address == A)).all()) == 10
    _sign_in(guesser, user.email, "Passw0rd!x", A, expect=429)


def test_a_guessing_loop_waits_longer_and_longer_up_to_the_cap(app, client, make, frozen_clock):
    user = make.admin()
    for _ in range(3):  # the free failures: no wait between them
        _sign_in(client, user.email)
    waits = []
    for _ in range(12):
        _sign_in(client, user.email)  # checked, and wrong
        refused = _sign_in(client, user.email, "Passw0rd!x", expect=429)  # the next one is not even checked
        assert "Too many failed sign-ins for this account from your network address" in refused.get_data(as_text=True)
        waits.append(int(refused.headers["Retry-After"]))
        frozen_clock.shift(timedelta(seconds=waits[-1] - 1))
        _sign_in(client, user.email, "Passw0rd!x", expect=429)  # a second early: still waiting
        frozen_clock.shift(timedelta(seconds=1))
    assert waits == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900]
    _sign_in(client, user.email, "Passw0rd!x", expect=302)  # once the wait is over, the right password works


def test_the_wait_is_said_in_minutes_when_long(app, client, make, frozen_clock):
    user = make.admin()
    for _ in range(11):
        _fail(client, frozen_clock, user.email)
    html = _sign_in(client, user.email, expect=429).get_data(as_text=True)  # 2**7 s = 128 s
    assert "Try again in 3 min." in html
    zh = client.post("/login?lang=zh_Hans_CN", data={"email": user.email, "password": "bad"},
                     environ_base={"REMOTE_ADDR": A}, expect=429).get_data(as_text=True)
    assert "3 分钟后再试" in zh


def test_distinct_account_stuffing_blocks_the_address_and_not_another(app, make, frozen_clock):
    user = make.admin()
    stuffer = app.test_client()
    for n in range(21):  # more than 20 distinct accounts, known or not, each failing once
        _sign_in(stuffer, f"victim{n}@example.com")
    refused = _sign_in(stuffer, user.email, "Passw0rd!x", expect=429)  # every account from that address waits
    assert "different accounts from your network address" in refused.get_data(as_text=True)
    assert 14 * 60 < int(refused.headers["Retry-After"]) <= 15 * 60  # until the first of them is 15 minutes old
    _sign_in(app.test_client(), user.email, "Passw0rd!x", B, expect=302)  # another address is unaffected
    frozen_clock.shift(timedelta(minutes=15))
    _sign_in(stuffer, user.email, "Passw0rd!x", expect=302)  # the block ends with the window


def test_many_typos_on_one_account_do_not_block_another_account_at_that_address(app, make, frozen_clock):
    typist, colleague = make.reviewer(), make.reviewer()
    office = app.test_client()
    for _ in range(30):  # far more failures than the 20 accounts an address may fail on: they count once
        _fail(office, frozen_clock, typist.email)
    _sign_in(office, colleague.email, "Passw0rd!x", expect=302)


def test_unknown_and_known_emails_get_identical_answers(app, make, frozen_clock):
    make.admin(email="known@example.com")

    def answers(email, address):
        client, seen = app.test_client(), []
        for _ in range(6):
            response = _sign_in(client, email, address=address, expect=None)
            seen.append((response.status_code, response.headers.get("Retry-After"),
                         response.get_data(as_text=True).replace(email, "EMAIL")))
        return seen

    known, unknown = answers("known@example.com", A), answers("nobody@example.com", B)
    assert [status for status, _after, _body in known] == [401, 401, 401, 401, 429, 429]
    assert known == unknown


def test_a_sign_in_that_works_forgets_only_the_failures_of_its_address(app, make, db, frozen_clock):
    user = make.admin()
    for address in (A, B):
        _sign_in(app.test_client(), user.email, address=address)
    _sign_in(app.test_client(), user.email, "Passw0rd!x", B, expect=302)
    assert [row.address for row in db.exec(select(LoginAttempt)).all()] == [A]


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
