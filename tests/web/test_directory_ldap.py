"""LDAP sign-in against a real OpenLDAP (Debian's slapd, started by tests/directory_servers.py): bind as the user,
sign in only to an account an admin made, the refusals with their message and status, the directory-only
policy, throttling, an unreachable server (DESIGN §9)."""
from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlmodel import select

from platform_mgr.enums import Directory, SignInMethod
from platform_mgr.models import AuditEvent, ExternalIdentity, LoginAttempt, SignInPolicy, User, UserSession
from platform_mgr.services import directory

from ..directory_servers import LDAP_PEOPLE, free_port

INVITED, INVITED_PASSWORD = "ldap.invited", LDAP_PEOPLE["ldap.invited"][1]
NO_ACCOUNT_EN = "There is no account on this platform for your directory identity. Ask the commission office to invite you"
NO_ACCOUNT_ZH = "平台上没有与您的统一身份对应的账号。请联系科委邀请您"


@pytest.fixture
def ldap_app(app, ldap_server):
    app.config.update(ldap_server.config())
    return app


@pytest.fixture
def invited(make):
    """The account an admin invited for the directory's ldap.invited (no password chosen yet)."""
    return make.reviewer(email=LDAP_PEOPLE[INVITED][0], password_hash="")


def ldap_login(client, login, password, *, expect, lang="en", next_url=None):
    query = f"?lang={lang}" + (f"&next={next_url}" if next_url else "")
    return client.post("/login/ldap" + query, data={"ldap-login": login, "ldap-password": password}, expect=expect)


def _events(db, action):
    return db.exec(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


def test_the_login_page_shows_the_ldap_form_only_when_configured(app, client, ldap_server):
    assert 'id="ldap-sign-in"' not in client.get("/login?lang=en", expect=200).get_data(as_text=True)
    app.config.update(ldap_server.config())
    html = client.get("/login?lang=en", expect=200).get_data(as_text=True)
    assert 'id="ldap-sign-in"' in html and "Directory account" in html
    assert "统一身份认证账号" in client.get("/login?lang=zh_Hans_CN", expect=200).get_data(as_text=True)


def test_an_invited_account_signs_in_with_its_directory_password(ldap_app, client, db, invited):
    answer = ldap_login(client, INVITED, INVITED_PASSWORD, expect=302, next_url="/platforms/")
    assert urlsplit(answer.headers["Location"]).path == "/platforms/"
    client.get("/home", expect=200)
    link = db.exec(select(ExternalIdentity)).one()
    assert (link.user_id, link.provider, link.email) == (invited.id, Directory.LDAP, LDAP_PEOPLE[INVITED][0])
    assert link.subject and "=" not in link.subject  # the entry's entryUUID, not its DN
    assert db.exec(select(UserSession.method).where(UserSession.user_id == invited.id)).one() == SignInMethod.LDAP
    [event] = _events(db, "sign_in")
    assert event.after["method"] == "ldap" and event.actor_id == invited.id
    assert db.get(User, invited.id).role == "reviewer"  # nothing about the account changed


def test_the_second_time_the_stored_subject_signs_in_by_either_login(ldap_app, app, db, invited):
    ldap_login(app.test_client(), INVITED, INVITED_PASSWORD, expect=302)
    ldap_login(app.test_client(), LDAP_PEOPLE[INVITED][0], INVITED_PASSWORD, expect=302)  # the filter takes mail too
    assert len(db.exec(select(ExternalIdentity)).all()) == 1
    assert len(_events(db, "identity_linked")) == 1 and len(_events(db, "sign_in")) == 2


@pytest.mark.parametrize("login,password", [
    (INVITED, "not-the-password"),        # a wrong password
    ("nobody.here", "Directory-Pass-1"),  # unknown to the directory
    ("*", INVITED_PASSWORD),              # a filter wildcard is escaped, not a search for everyone
    (f"{INVITED})(uid=*", INVITED_PASSWORD),  # no filter injection
])
def test_a_wrong_password_or_an_unknown_user_is_refused(ldap_app, client, db, invited, login, password):
    html = ldap_login(client, login, password, expect=401).get_data(as_text=True)
    assert "Directory account or password is not correct." in html
    assert db.exec(select(ExternalIdentity)).all() == []
    assert len(db.exec(select(LoginAttempt)).all()) == 1  # counted, as a wrong local password is
    client.get("/home", expect=302)


def test_a_directory_user_without_an_account_is_told_to_ask_for_an_invitation(ldap_app, client, db, make):
    make.reviewer()  # somebody else's account
    before = db.exec(select(User.id)).all()
    html = ldap_login(client, "ldap.stranger", LDAP_PEOPLE["ldap.stranger"][1], expect=403).get_data(as_text=True)
    assert NO_ACCOUNT_EN in html
    zh = ldap_login(client, "ldap.stranger", LDAP_PEOPLE["ldap.stranger"][1], expect=403, lang="zh_Hans_CN")
    assert NO_ACCOUNT_ZH in zh.get_data(as_text=True)
    assert db.exec(select(User.id)).all() == before  # no account is ever created
    refused = _events(db, "sign_in_refused")
    assert [e.after["reason"] for e in refused] == ["no_account", "no_account"]
    assert refused[0].after["email"] == LDAP_PEOPLE["ldap.stranger"][0] and refused[0].after["method"] == "ldap"


def test_a_directory_address_that_is_not_the_accounts_is_not_matched(ldap_app, client, make):
    make.reviewer(email="ldap.moved.old@commission.example")
    html = ldap_login(client, "ldap.moved", LDAP_PEOPLE["ldap.moved"][1], expect=403).get_data(as_text=True)
    assert NO_ACCOUNT_EN in html


def test_a_deactivated_account_is_refused(ldap_app, client, db, make):
    make.reviewer(email=LDAP_PEOPLE["ldap.deactivated"][0], active=False)
    html = ldap_login(client, "ldap.deactivated", LDAP_PEOPLE["ldap.deactivated"][1], expect=403).get_data(as_text=True)
    assert "Your account has been deactivated." in html
    assert db.exec(select(ExternalIdentity)).all() == []
    assert [e.after["reason"] for e in _events(db, "sign_in_refused")] == ["deactivated"]


def test_an_account_deactivated_after_linking_is_refused(ldap_app, app, db, invited):
    ldap_login(app.test_client(), INVITED, INVITED_PASSWORD, expect=302)
    user = db.get(User, invited.id)
    user.active = False
    db.add(user)
    db.commit()
    ldap_login(app.test_client(), INVITED, INVITED_PASSWORD, expect=403)


def test_a_directory_only_role_refuses_the_local_password_but_signs_in_through_ldap(ldap_app, client, db, make, auth):
    from platform_mgr import security

    user = make.reviewer(email=LDAP_PEOPLE[INVITED][0], password_hash=security.hash_password("Passw0rd!x"))
    db.add(SignInPolicy(id=1, directory_roles=["reviewer"]))
    db.commit()
    html = auth.login(user.email, "Passw0rd!x", lang="en", expect=403).get_data(as_text=True)
    assert "Your role signs in through the directory" in html
    ldap_login(client, INVITED, INVITED_PASSWORD, expect=302)
    client.get("/home", expect=200)


def test_ldap_sign_in_is_throttled_like_the_password(ldap_app, app, client, invited, frozen_clock):
    app.config["LOGIN_FREE_FAILURES"] = 2
    for _attempt in range(3):
        ldap_login(client, INVITED, "wrong", expect=401)
    refused = ldap_login(client, INVITED, INVITED_PASSWORD, expect=429)
    assert "Too many failed sign-ins for this account" in refused.get_data(as_text=True)
    assert refused.headers["Retry-After"] == "1"
    frozen_clock.shift(timedelta(seconds=1))
    ldap_login(client, INVITED, INVITED_PASSWORD, expect=302)


def test_a_directory_sign_in_that_works_forgets_the_failures(ldap_app, app, client, db, invited):
    for _attempt in range(2):
        ldap_login(client, INVITED, "wrong", expect=401)
    ldap_login(client, INVITED, INVITED_PASSWORD, expect=302)
    assert db.exec(select(LoginAttempt)).all() == []


def test_the_search_may_be_anonymous(app, client, ldap_server, invited):
    app.config.update(ldap_server.config(LDAP_BIND_DN="", LDAP_BIND_PASSWORD=""))
    ldap_login(client, INVITED, INVITED_PASSWORD, expect=302)


def test_a_wrong_service_account_or_an_unreachable_server_is_unavailable(app, client, ldap_server, invited):
    app.config.update(ldap_server.config(LDAP_BIND_PASSWORD="not-the-readers"))
    assert "The directory cannot be reached." in ldap_login(client, INVITED, INVITED_PASSWORD,
                                                            expect=503).get_data(as_text=True)
    app.config.update(ldap_server.config(LDAP_URL=f"ldap://127.0.0.1:{free_port()}", LDAP_TIMEOUT=2.0))
    assert "The directory cannot be reached." in ldap_login(client, INVITED, INVITED_PASSWORD,
                                                            expect=503).get_data(as_text=True)


def test_the_service_refuses_an_empty_password_without_binding(ldap_server):
    settings = directory.LdapSettings.from_config(ldap_server.config())
    assert directory.ldap_authenticate(settings, INVITED, "") is None  # an unauthenticated bind would "succeed"
    found = directory.ldap_authenticate(settings, INVITED, INVITED_PASSWORD)
    assert found.email == LDAP_PEOPLE[INVITED][0] and found.email_verified


def test_an_empty_form_is_refused(ldap_app, client):
    ldap_login(client, "", "", expect=422)
