"""OpenID Connect sign-in against a real OpenID provider (the npm package oidc-provider, started by
tests/directory_servers.py): the full authorization code flow with PKCE, state and nonce, the ID token checked
against the provider's JWKS, and the refusals (DESIGN §9).

The provider runs on the real clock and these tests at a frozen one: each test moves its clock to the
provider's first (``at_provider_time``), and one keeps it an hour behind to see the ID token refused.
"""
from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlmodel import select

from platform_mgr.enums import Directory, SignInMethod
from platform_mgr.models import AuditEvent, ExternalIdentity, User, UserSession

from ..directory_servers import OIDC_PEOPLE, OidcBrowser, free_port

INVITED = "oidc-invited"


@pytest.fixture
def oidc_app(app, oidc_provider, frozen_clock):
    app.config.update(oidc_provider.config())
    frozen_clock.move_to(oidc_provider.now())  # the provider's clock: see the module's docstring
    return app


def start(client, next_url=None, lang="en"):
    """/login/oidc: the app sends the browser to the provider; the provider's authorization address."""
    query = f"?lang={lang}" + (f"&next={next_url}" if next_url else "")
    answer = client.get("/login/oidc" + query, expect=302)
    return answer.headers["Location"]


def sign_in(client, account, next_url=None):
    """The whole flow up to the app's callback; the callback's answer (not followed)."""
    callback = OidcBrowser().sign_in(start(client, next_url), account)
    return client.get(callback, expect=None)


def flashed(client) -> str:
    return client.get("/login?lang=en", expect=200).get_data(as_text=True)


def test_the_login_page_shows_the_button_with_its_label_in_both_languages(app, client, oidc_provider):
    assert 'id="oidc-sign-in"' not in client.get("/login", expect=200).get_data(as_text=True)
    app.config.update(oidc_provider.config())
    assert "Sign in with Unified identity" in client.get("/login?lang=en", expect=200).get_data(as_text=True)
    assert "通过统一身份认证登录" in client.get("/login?lang=zh_Hans_CN", expect=200).get_data(as_text=True)
    app.config.update(OIDC_LABEL_EN="City identity", OIDC_LABEL_ZH="一网通办")
    assert "Sign in with City identity" in client.get("/login?lang=en", expect=200).get_data(as_text=True)
    assert "通过一网通办登录" in client.get("/login?lang=zh_Hans_CN", expect=200).get_data(as_text=True)


def test_the_authorization_request_carries_pkce_state_and_nonce(oidc_app, client, oidc_provider):
    url = start(client)
    assert url.startswith(oidc_provider.issuer + "/")
    query = parse_qs(urlsplit(url).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert query["state"][0] and query["nonce"][0] and query["response_type"] == ["code"]
    assert query["scope"] == ["openid email profile"]


def test_an_invited_account_signs_in_through_the_provider(oidc_app, client, db, make):
    user = make.operator(email=OIDC_PEOPLE[INVITED]["email"], password_hash="")
    answer = sign_in(client, INVITED, next_url="/notifications/")
    assert answer.status_code == 302 and urlsplit(answer.headers["Location"]).path == "/notifications/"
    client.get("/home", expect=200)
    link = db.exec(select(ExternalIdentity)).one()
    assert (link.user_id, link.provider, link.subject) == (user.id, Directory.OIDC, INVITED)
    assert db.exec(select(UserSession.method).where(UserSession.user_id == user.id)).one() == SignInMethod.OIDC
    event = db.exec(select(AuditEvent).where(AuditEvent.action == "sign_in")).one()
    assert event.after["method"] == "oidc" and event.after["subject"] == INVITED
    assert db.get(User, user.id).role == "operator"


def test_the_second_time_the_subject_signs_in_even_after_the_account_address_changed(oidc_app, app, db, make):
    user = make.operator(email=OIDC_PEOPLE[INVITED]["email"], password_hash="")
    assert sign_in(app.test_client(), INVITED).status_code == 302
    user = db.get(User, user.id)
    user.email = "renamed@commission.example"
    db.add(user)
    db.commit()
    client = app.test_client()
    assert sign_in(client, INVITED).status_code == 302
    client.get("/home", expect=200)


@pytest.mark.parametrize("account,message", [
    ("oidc-stranger", "There is no account on this platform for your directory identity. Ask the commission office "
                      "to invite you"),
    ("oidc-unverified", "Your identity provider has not verified your e-mail address"),
    ("oidc-deactivated", "Your account has been deactivated."),
])
def test_refusals_go_back_to_the_login_page_with_a_message(oidc_app, client, db, make, account, message):
    make.operator(email=OIDC_PEOPLE["oidc-unverified"]["email"])  # an account the unverified address must not get
    make.operator(email=OIDC_PEOPLE["oidc-deactivated"]["email"], active=False)
    users = db.exec(select(User.id)).all()
    answer = sign_in(client, account, next_url="/platforms/")
    assert answer.status_code == 302 and urlsplit(answer.headers["Location"]).path == "/login"
    assert parse_qs(urlsplit(answer.headers["Location"]).query)["next"] == ["/platforms/"]  # kept for a retry
    assert message in flashed(client)
    client.get("/home", expect=302)
    assert db.exec(select(User.id)).all() == users and db.exec(select(ExternalIdentity)).all() == []
    refusal = db.exec(select(AuditEvent).where(AuditEvent.action == "sign_in_refused")).one()
    assert refusal.after["method"] == "oidc" and refusal.after["subject"] == account


def test_the_refusal_is_in_chinese_too(oidc_app, client):
    OidcBrowser().sign_in(start(client), "oidc-stranger")  # the callback is not opened: only the language matters
    callback = OidcBrowser().sign_in(start(client, lang="zh_Hans_CN"), "oidc-stranger")
    client.get(callback, expect=302)
    html = client.get("/login", expect=200).get_data(as_text=True)
    assert "平台上没有与您的统一身份对应的账号。请联系科委邀请您，然后重新登录。" in html


def test_a_callback_with_another_state_or_replayed_is_refused(oidc_app, app, client, make):
    make.operator(email=OIDC_PEOPLE[INVITED]["email"])
    callback = OidcBrowser().sign_in(start(client), INVITED)
    other = app.test_client()  # another browser: it never started this sign-in (no state of its own)
    other.get("/login?lang=en", expect=200)
    other.get(callback, expect=302)
    assert "did not complete" in flashed(other)
    other.get("/home", expect=302)
    forged = callback.replace("state=", "state=x")
    client.get(forged, expect=302)
    assert "did not complete" in flashed(client)
    client.get("/home", expect=302)
    client.get(callback, expect=302)  # the browser that started it, with its own state: signed in
    client.get("/home", expect=200)
    client.post("/logout", expect=302)
    client.get(callback, expect=302)  # a replay: the state was used up
    assert "did not complete" in flashed(client)
    client.get("/home", expect=302)


def test_an_error_from_the_provider_goes_back_to_the_login_page(oidc_app, client):
    start(client)
    client.get("/login/oidc/callback?error=access_denied&error_description=End-User+aborted", expect=302)
    assert "did not complete" in flashed(client)


def test_an_id_token_from_the_future_is_refused(oidc_app, client, make, frozen_clock, oidc_provider):
    """The app checks iat / exp against its own clock: an hour behind the provider's, the token is refused."""
    make.operator(email=OIDC_PEOPLE[INVITED]["email"])
    frozen_clock.move_to(oidc_provider.now() - timedelta(hours=1))
    answer = sign_in(client, INVITED)
    assert urlsplit(answer.headers["Location"]).path == "/login"
    assert "did not complete" in flashed(client)
    client.get("/home", expect=302)


def test_an_unreachable_provider_goes_back_to_the_login_page(app, client):
    app.config.update(OIDC_ISSUER=f"http://127.0.0.1:{free_port()}", OIDC_CLIENT_ID="x", OIDC_CLIENT_SECRET="y",
                      OIDC_SCOPES="openid email", OIDC_LABEL_ZH="统一身份认证", OIDC_LABEL_EN="Unified identity")
    answer = client.get("/login/oidc?lang=en", expect=302)
    assert urlsplit(answer.headers["Location"]).path == "/login"
    assert "The identity provider cannot be reached." in flashed(client)
