"""Accounts from the web (DESIGN §9): sessions that end on the server, `next` kept on this site, invitations and
password resets through single-use links, deactivation, API tokens on the page, in the API and on the command
line. Each way of ending access is proved by replaying the old cookie or token."""
from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlmodel import select

from platform_mgr import security
from platform_mgr.enums import LinkPurpose, SessionEnd
from platform_mgr.models import AccountLink, ApiToken, AuditEvent, OutboxMail, User, UserSession
from platform_mgr.services import accounts, mail

from ..conftest import Api

PASSWORD = "Passw0rd!x"
NEW_PASSWORD = "a long and quiet river 7"
LINK = re.compile(r'id="link-address" value="([^"]+)"')
SECRET = re.compile(r'id="new-secret" value="([^"]+)"')


def _cookie(client) -> str:
    return client.get_cookie("session").value


def _replay(app, cookie: str, *, remember: str | None = None):
    """A fresh browser that presents an old session cookie (and remember-me cookie): what does /home answer?"""
    other = app.test_client()
    other.set_cookie("session", cookie)
    if remember is not None:
        other.set_cookie("remember_token", remember)
    return other.get("/home", expect=None)


def _signed_in(response) -> bool:
    return response.status_code == 200


def _audit(db, action: str) -> list[AuditEvent]:
    db.expire_all()
    return db.exec(select(AuditEvent).where(AuditEvent.action == action)).all()


# --- sessions ----------------------------------------------------------------------------------------------

def test_signing_out_ends_the_session_on_the_server(app, client, auth, make, db):
    user = make.operator()
    auth.login(user.email)
    client.get("/home", expect=200)
    cookie = _cookie(client)
    assert _signed_in(_replay(app, cookie))  # the cookie works in another browser while signed in
    auth.logout()
    replayed = _replay(app, cookie)
    assert replayed.status_code == 302 and urlsplit(replayed.headers["Location"]).path == "/login"
    db.expire_all()
    row = db.exec(select(UserSession).where(UserSession.user_id == user.id)).one()
    assert row.ended_at is not None and row.end_reason == SessionEnd.SIGN_OUT
    assert _audit(db, "sign_out")[0].entity_id == user.id


def test_signing_out_makes_the_remember_me_cookie_useless_too(app, client, make):
    user = make.operator()
    client.post("/login", data={"email": user.email, "password": PASSWORD, "remember": "y"}, expect=302)
    remember = client.get_cookie("remember_token").value
    fresh = app.test_client()  # a browser restarted: no session cookie, only the remember-me one
    fresh.set_cookie("remember_token", remember)
    assert fresh.get("/home", expect=200)
    client.post("/logout", expect=302)
    again = app.test_client()
    again.set_cookie("remember_token", remember)
    assert again.get("/home", expect=302).headers["Location"].startswith("/login")


def test_a_password_change_ends_the_other_sessions_but_not_this_one(app, client, make, db):
    user = make.operator()
    other = app.test_client()
    other.post("/login", data={"email": user.email, "password": PASSWORD}, expect=302)
    client.post("/login", data={"email": user.email, "password": PASSWORD}, expect=302)
    client.post("/account/password", data={"current_password": PASSWORD, "new_password": NEW_PASSWORD,
                                           "confirm": NEW_PASSWORD}, expect=302)
    client.get("/home", expect=200)
    other.get("/home", expect=302)
    db.expire_all()
    reasons = sorted(str(r.end_reason) for r in db.exec(select(UserSession).where(UserSession.user_id == user.id)))
    assert reasons == ["None", "password_change"]


def test_idle_sessions_end_after_the_configured_minutes(app, client, auth, make, frozen_clock, db):
    app.config["SESSION_IDLE_MINUTES"] = 30
    user = make.operator()
    auth.login(user.email)
    frozen_clock.shift(timedelta(minutes=20))
    client.get("/home", expect=200)  # a request within the half hour keeps it alive
    frozen_clock.shift(timedelta(minutes=25))
    client.get("/home", expect=200)
    frozen_clock.shift(timedelta(minutes=31))
    assert client.get("/home", expect=302).headers["Location"].startswith("/login")
    db.expire_all()
    assert db.exec(select(UserSession.end_reason).where(UserSession.user_id == user.id)).one() == SessionEnd.IDLE


def test_signed_in_pages_and_api_answers_are_not_stored_by_caches(client, auth, make, api):
    assert "no-store" not in client.get("/login", expect=200).headers.get("Cache-Control", "")
    user = make.operator()
    auth.login(user.email)
    assert client.get("/home", expect=200).headers["Cache-Control"] == "no-store"
    assert api(user).get("/api/v1/me", expect=200).headers["Cache-Control"] == "no-store"
    assert Api(client, "pm_wrong").get("/api/v1/me", expect=401).headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("target", ["/%09/evil.example", "//evil.example", "/\\evil.example", "https://evil.example",
                                    "/%0a/evil.example", "/%0d%0a/evil.example", "http:/evil.example", "%2F%2Fevil",
                                    " //evil.example", "javascript:alert(1)", "/" + "x" * 3000])
def test_next_after_sign_in_stays_on_this_site(client, make, target):
    user = make.operator()
    response = client.post(f"/login?next={target}", data={"email": user.email, "password": PASSWORD}, expect=302)
    location = response.headers["Location"]
    assert location == "/home", location


@pytest.mark.parametrize("target,goes_to", [("/notifications/", "/notifications/"),
                                            ("/platforms/?status=active", "/platforms/?status=active")])
def test_next_after_sign_in_follows_a_path_of_this_site(client, make, target, goes_to):
    from urllib.parse import quote

    user = make.operator()
    response = client.post(f"/login?next={quote(target, safe='')}", data={"email": user.email, "password": PASSWORD},
                           expect=302)
    assert response.headers["Location"] == goes_to


# --- deactivation -------------------------------------------------------------------------------------------

def test_deactivating_ends_sessions_and_revokes_tokens_at_once(app, client, auth, make, db, api):
    admin, user = make.admin(), make.operator()
    browser = app.test_client()
    browser.post("/login", data={"email": user.email, "password": PASSWORD}, expect=302)
    cookie = _cookie(browser)
    script = api(user)
    script.get("/api/v1/me", expect=200)
    auth.login(admin.email)
    page = client.post(f"/admin/users/{user.id}/deactivate", follow_redirects=True, expect=200)
    assert "已停用" in page.get_data(as_text=True)
    assert _replay(app, cookie).status_code == 302
    assert script.get("/api/v1/me", expect=401).get_json()["error"]["code"] == "unauthorized"
    db.expire_all()
    assert db.get(User, user.id).active is False
    assert all(t.revoked_at is not None for t in db.exec(select(ApiToken).where(ApiToken.user_id == user.id)))
    event = _audit(db, "deactivate")[0]
    assert event.after["sessions_ended"] == 1 and event.after["tokens_revoked"] == 1
    # the account can no longer sign in, and reactivating it gives neither the session nor the token back
    app.test_client().post("/login", data={"email": user.email, "password": PASSWORD}, expect=401)
    client.post(f"/admin/users/{user.id}/reactivate", expect=302)
    assert _replay(app, cookie).status_code == 302 and script.get("/api/v1/me", expect=401)
    app.test_client().post("/login", data={"email": user.email, "password": PASSWORD}, expect=302)


def test_an_admin_cannot_deactivate_themself_nor_the_last_admin(client, auth, make, db):
    admin = make.admin()
    auth.login(admin.email)
    page = client.post(f"/admin/users/{admin.id}/deactivate", follow_redirects=True, expect=200)
    assert "不能取消您自己的管理权限" in page.get_data(as_text=True)
    db.expire_all()
    assert db.get(User, admin.id).active is True
    page = client.post(f"/admin/users/{admin.id}?lang=en", data={"display_name": "Me", "role": "reviewer"}, expect=409)
    assert "You cannot take away your own administration rights." in page.get_data(as_text=True)
    db.expire_all()
    assert db.get(User, admin.id).role == "admin"


# --- invitations --------------------------------------------------------------------------------------------

def _invite(client, **fields) -> str:
    data = {"email": "new.op@example.com", "display_name": "新运营", "role": "operator", "affiliation": "某研究院",
            "preferred_lang": "zh_Hans_CN", **fields}
    page = client.post("/admin/users/invite", data=data, expect=201).get_data(as_text=True)
    return urlsplit(LINK.search(page).group(1)).path


def test_an_invitation_lets_the_new_user_choose_a_password_once(app, client, auth, make, db):
    admin, platform = make.admin(), make.platform(code="BCI")
    auth.login(admin.email)
    path = _invite(client, operator_platforms=[str(platform.id)])
    user = db.exec(select(User).where(User.email == "new.op@example.com")).one()
    assert user.password_hash == "" and user.role == "operator"
    auth.logout()
    # without a password nobody signs in as them
    auth.login("new.op@example.com", "", expect=422)
    page = client.get(path, expect=200).get_data(as_text=True)
    assert "新运营" in page and "new.op@example.com" in page
    done = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}, expect=302)
    assert done.headers["Location"] == "/login?email=new.op@example.com"
    auth.login("new.op@example.com", NEW_PASSWORD)
    assert client.get(f"/projects/platform/{platform.id}", expect=200)
    auth.logout()
    # the link is used up
    again = client.get(path, expect=410).get_data(as_text=True)
    assert "此链接已过期或已被使用" in again
    client.post(path, data={"password": "another long phrase", "confirm": "another long phrase"}, expect=410)
    assert [e.action for e in db.exec(select(AuditEvent).where(AuditEvent.entity_type == "user",
                                                               AuditEvent.entity_id == user.id))] == [
        "invite", "accept_invitation", "sign_in", "sign_out"]


def test_an_invitation_link_stores_only_a_hash_and_expires_after_72_hours(client, auth, make, db, frozen_clock):
    auth.login(make.admin().email)
    path = _invite(client)
    token = path.rsplit("/", 1)[1]
    link = db.exec(select(AccountLink)).one()
    assert link.token_hash == security.token_digest(token) and token not in link.token_hash
    assert link.expires_at - link.created_at == timedelta(hours=72)
    frozen_clock.shift(timedelta(hours=72, minutes=1))
    client.get(path, expect=410)


def test_a_wrong_or_truncated_link_is_not_found(client, auth, make):
    auth.login(make.admin().email)
    path = _invite(client)
    client.get(path[:-3], expect=404)
    client.get("/account/invitation/999999999999.abc", expect=404)
    client.get("/account/invitation/not-a-link", expect=404)
    client.get(path.replace("/account/invitation/", "/password/reset/"), expect=404)  # not a reset link


def test_a_new_invitation_kills_the_old_link(client, auth, make, db):
    auth.login(make.admin().email)
    first = _invite(client)
    user = db.exec(select(User).where(User.email == "new.op@example.com")).one()
    page = client.post(f"/admin/users/{user.id}/invitation", expect=201).get_data(as_text=True)
    second = urlsplit(LINK.search(page).group(1)).path
    client.get(first, expect=410)
    client.get(second, expect=200)


def test_the_new_password_must_follow_the_policy_and_nothing_changes_when_refused(client, auth, make, db):
    auth.login(make.admin().email)
    path = _invite(client)
    auth.logout()
    for password, confirm, field, words in [
            ("short", "short", "password", "至少 10 个字符"),
            ("1234567890", "1234567890", "password", "最常见的密码"),
            ("new.op@example.com", "new.op@example.com", "password", "邮箱地址"),
            (NEW_PASSWORD, NEW_PASSWORD + "x", "confirm", "两次输入的密码不一致"),
            ("", "", "password", "此项为必填项")]:
        page = client.post(path, data={"password": password, "confirm": confirm}, expect=422).get_data(as_text=True)
        assert words in page, (password, field)
        assert f'id="{field}-err"' in page
    db.expire_all()
    assert db.exec(select(User).where(User.email == "new.op@example.com")).one().password_hash == ""
    assert db.exec(select(AccountLink)).one().used_at is None
    english = client.post(path + "?lang=en", data={"password": "short", "confirm": "short"}, expect=422)
    assert "Use at least 10 characters." in english.get_data(as_text=True)


def test_invitation_form_errors_name_the_field_and_change_nothing(client, auth, make, db):
    admin, platform = make.admin(), make.platform()
    auth.login(admin.email)
    before = db.exec(select(User)).all().__len__()
    page = client.post("/admin/users/invite?lang=en", data={"email": "not-an-address", "display_name": "",
                                                            "role": "operator", "preferred_lang": "en"}, expect=422)
    html = page.get_data(as_text=True)
    assert 'id="email-err"' in html and "Enter a valid e-mail address." in html
    assert 'id="display_name-err"' in html and "This field is required." in html
    page = client.post("/admin/users/invite", data={"email": "r@example.com", "display_name": "评审", "role": "reviewer",
                                                    "operator_platforms": [str(platform.id)],
                                                    "preferred_lang": "zh_Hans_CN"}, expect=422)
    assert 'id="operator_platforms-err"' in page.get_data(as_text=True)
    page = client.post("/admin/users/invite?lang=zh", data={"email": admin.email.upper(), "display_name": "重复",
                                                            "role": "reviewer", "preferred_lang": "zh_Hans_CN"},
                       expect=409)
    assert 'id="email-err"' in page.get_data(as_text=True) and "已被使用" in page.get_data(as_text=True)
    db.expire_all()
    assert len(db.exec(select(User)).all()) == before and db.exec(select(AccountLink)).all() == []


def test_with_mail_the_invitation_goes_through_the_outbox_and_the_link_is_filled_in_when_sent(app, client, auth,
                                                                                              make, db):
    app.config.update(MAIL_SERVER="smtp.example.gov.cn", BASE_URL="https://pm.example.gov.cn")
    auth.login(make.admin(display_name="王主任").email)
    response = client.post("/admin/users/invite", data={"email": "li@example.com", "display_name": "李工",
                                                        "role": "reviewer", "preferred_lang": "en"}, expect=302)
    assert "li@example.com" in client.get(response.headers["Location"], expect=200).get_data(as_text=True)
    row = db.exec(select(OutboxMail)).one()
    assert row.to_addr == "li@example.com" and row.notification_id is None
    assert "[[account-link:invitation:" in row.body and "pm.example.gov.cn" not in row.body  # no secret stored
    assert row.subject.startswith("Your account for the PoC Platform Programme")  # English first, as she prefers
    with app.app_context():
        sent = mail.message(row, mail.settings()).get_content()
    address = re.search(r"https://pm\.example\.gov\.cn(/account/invitation/\S+)", sent).group(1)
    assert "王主任" in sent and "Reviewer" in sent and "评审专家" in sent
    auth.logout()
    client.get(address, expect=200)


# --- password resets ----------------------------------------------------------------------------------------

def _forgot(client, email: str, expect: int = 200):
    return client.post("/password/forgot", data={"email": email}, expect=expect)


def test_forgot_password_answers_the_same_for_known_and_unknown_addresses(app, client, make, db):
    app.config.update(MAIL_SERVER="smtp.example.gov.cn", BASE_URL="https://pm.example.gov.cn")
    user = make.operator(email="known@example.com")
    known = _forgot(client, "known@example.com").get_data(as_text=True)
    unknown = _forgot(client, "nobody@example.com").get_data(as_text=True)
    inactive = make.operator(email="gone@example.com", active=False)
    gone = _forgot(client, inactive.email).get_data(as_text=True)
    assert known == unknown == gone
    rows = db.exec(select(OutboxMail)).all()
    assert [r.to_addr for r in rows] == [user.email]
    assert db.exec(select(AccountLink.purpose)).all() == [LinkPurpose.RESET]


def test_forgot_password_is_throttled_for_every_address_alike(app, client, make):
    app.config.update(MAIL_SERVER="smtp.example.gov.cn", BASE_URL="https://pm.example.gov.cn")
    make.operator(email="known@example.com")
    for _ in range(accounts.RESET_MAX_PER_EMAIL):
        _forgot(client, "known@example.com")
        _forgot(client, "nobody@example.com")
    known = _forgot(client, "known@example.com", 429).get_data(as_text=True)
    unknown = _forgot(client, "nobody@example.com", 429).get_data(as_text=True)
    assert "申请重置密码的次数过多" in known and known.replace("known", "nobody") == unknown


def test_a_reset_ends_every_session_and_the_link_works_for_an_hour_once(app, client, auth, make, db, frozen_clock):
    app.config.update(MAIL_SERVER="smtp.example.gov.cn", BASE_URL="https://pm.example.gov.cn")
    user = make.operator(email="known@example.com")
    browser = app.test_client()
    browser.post("/login", data={"email": user.email, "password": PASSWORD}, expect=302)
    cookie = _cookie(browser)
    _forgot(client, user.email)
    with app.app_context():
        body = mail.message(db.exec(select(OutboxMail)).one(), mail.settings()).get_content()
    path = re.search(r"https://pm\.example\.gov\.cn(/password/reset/\S+)", body).group(1)
    assert _signed_in(_replay(app, cookie))  # asking for a reset changes nothing yet
    client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}, expect=302)
    assert _replay(app, cookie).status_code == 302
    auth.login(user.email, PASSWORD, expect=401)
    auth.login(user.email, NEW_PASSWORD)
    client.get(path, expect=410)
    assert _audit(db, "reset_password")[0].after["sessions_ended"] == 1
    # a later link expires after an hour
    _forgot(client, user.email)
    frozen_clock.shift(timedelta(minutes=61))
    with app.app_context():
        later = mail.message(db.exec(select(OutboxMail).order_by(OutboxMail.id.desc())).first(),
                             mail.settings()).get_content()
    client.get(re.search(r"https://pm\.example\.gov\.cn(/password/reset/\S+)", later).group(1), expect=410)


def test_without_mail_the_admin_is_shown_a_reset_link_once(client, auth, make, db):
    user = make.operator()
    auth.login(make.admin().email)
    page = client.post(f"/admin/users/{user.id}/reset", expect=201).get_data(as_text=True)
    path = urlsplit(LINK.search(page).group(1)).path
    assert path.startswith("/password/reset/") and "1 小时内有效" in page
    auth.logout()
    client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}, expect=302)
    auth.login(user.email, NEW_PASSWORD)


# --- API tokens ---------------------------------------------------------------------------------------------

def test_a_token_made_on_the_page_is_shown_once_and_revoking_it_stops_it(app, client, auth, make, db):
    user = make.reviewer()
    auth.login(user.email)
    page = client.post("/account/tokens", data={"label": "导出脚本", "days": "30"}, expect=201).get_data(as_text=True)
    secret = SECRET.search(page).group(1)
    script = Api(app.test_client(), secret)
    assert script.get("/api/v1/me", expect=200).get_json()["email"] == user.email
    listing = client.get("/account/tokens", expect=200).get_data(as_text=True)
    assert secret not in listing and secret[:10] in listing and "导出脚本" in listing
    row = db.exec(select(ApiToken).where(ApiToken.user_id == user.id)).one()
    assert row.expires_at - row.created_at == timedelta(days=30) and row.last_used_at is not None
    client.post(f"/account/tokens/{row.id}/revoke", expect=302)
    assert script.get("/api/v1/me", expect=401).get_json()["error"]["code"] == "unauthorized"


@pytest.mark.parametrize("data,field,words", [({"label": "", "days": "30"}, "label", "此项为必填项"),
                                              ({"label": "x", "days": "366"}, "days", "数值过大"),
                                              ({"label": "x", "days": "0"}, "days", "数值过小")])
def test_token_form_errors_name_the_field(client, auth, make, db, data, field, words):
    auth.login(make.reviewer().email)
    page = client.post("/account/tokens", data=data, expect=422).get_data(as_text=True)
    assert f'id="{field}-err"' in page and words in page
    assert db.exec(select(ApiToken)).all() == []


def test_an_expired_token_answers_401(api, make, frozen_clock):
    script = api(make.reviewer())
    script.get("/api/v1/me", expect=200)
    frozen_clock.shift(timedelta(days=91))  # the factory's tokens live 90 days (the default)
    body = script.get("/api/v1/me", expect=401).get_json()
    assert body["error"]["code"] == "unauthorized"


def test_someone_elses_token_is_not_found_but_an_admin_revokes_any(client, auth, make, db, api):
    owner, other, admin = make.operator(), make.operator(), make.admin()
    script = api(owner)
    row = db.exec(select(ApiToken).where(ApiToken.user_id == owner.id)).one()
    auth.login(other.email)
    client.post(f"/account/tokens/{row.id}/revoke", expect=404)
    script.get("/api/v1/me", expect=200)
    auth.logout()
    auth.login(admin.email)
    listing = client.get("/admin/tokens", expect=200).get_data(as_text=True)
    assert row.prefix in listing and owner.email in listing
    client.post(f"/account/tokens/{row.id}/revoke", data={"back": "/admin/tokens"}, expect=302)
    script.get("/api/v1/me", expect=401)
    assert _audit(db, "revoke")[0].actor_id == admin.id


def test_the_api_lists_creates_and_revokes_the_callers_tokens(api, make, db):
    user = make.reviewer()
    script = api(user)
    made = script.post("/api/v1/me/tokens", json={"label": "nightly", "days": 7}, expect=201).get_json()
    assert set(made) == {"id", "prefix", "label", "created_at", "last_used_at", "expires_at", "revoked_at", "token"}
    assert made["label"] == "nightly" and made["token"].startswith(made["prefix"]) and made["revoked_at"] is None
    second = Api(script.client, made["token"])
    listed = second.get("/api/v1/me/tokens", expect=200).get_json()
    assert listed["total"] == 2 and all("token" not in item for item in listed["items"])
    revoked = script.delete(f"/api/v1/me/tokens/{made['id']}", expect=200).get_json()
    assert revoked["revoked_at"] is not None
    second.get("/api/v1/me", expect=401)
    refused = script.post("/api/v1/me/tokens", json={"label": "x", "days": 400}, expect=422).get_json()
    assert list(refused["error"]["fields"]) == ["days"]
    someone = make.reviewer()
    theirs = api(someone)
    their_id = db.exec(select(ApiToken.id).where(ApiToken.user_id == someone.id)).one()
    assert script.delete(f"/api/v1/me/tokens/{their_id}", expect=404).get_json()["error"]["code"] == "not_found"
    theirs.get("/api/v1/me", expect=200)


# --- the admin's list and edit of users ---------------------------------------------------------------------

def test_the_user_list_searches_and_filters(client, auth, make):
    admin = make.admin()
    make.operator(display_name="张丽华", email="zhang@example.com", affiliation="滨江理工大学")
    make.reviewer(display_name="李明", email="li.ming@example.com", affiliation="东岳研究院")
    make.user(role="finance", display_name="赵会计", email="zhao@example.com", active=False)
    auth.login(admin.email)

    def names(query: str) -> list[str]:
        page = client.get("/admin/users" + query, expect=200).get_data(as_text=True)
        return re.findall(r'href="/admin/users/\d+">([^<]+)</a>', page)

    assert names("?q=滨江") == ["张丽华"]
    assert names("?q=LI.MING") == ["李明"]
    assert names("?role=reviewer") == ["李明"]
    assert names("?state=inactive") == ["赵会计"]
    assert names("?q=100%25") == []  # a LIKE wildcard is searched for, not used


def test_editing_a_user_sets_the_role_and_the_bindings_as_a_whole(client, auth, make, db):
    admin, a, b = make.admin(), make.platform(code="PA"), make.platform(code="PB")
    user = make.operator(a)
    auth.login(admin.email)
    page = client.get(f"/admin/users/{user.id}", expect=200).get_data(as_text=True)
    assert re.search(rf'<option selected value="{a.id}">|<option value="{a.id}" selected>', page)
    client.post(f"/admin/users/{user.id}", data={"display_name": "改名", "role": "operator", "affiliation": "新单位",
                                                 "operator_platforms": [str(b.id)]}, expect=302)
    client.post(f"/admin/users/{user.id}", data={"display_name": "改名", "role": "reviewer", "affiliation": "",
                                                 "gatekeeper_platforms": [str(a.id), str(b.id)]}, expect=302)
    db.expire_all()
    changed = db.get(User, user.id)
    assert (changed.display_name, changed.role, changed.affiliation) == ("改名", "reviewer", "")
    event = _audit(db, "update")[-1]
    assert event.before["operator_platforms"] == ["PB"] and event.after["gatekeeper_platforms"] == ["PA", "PB"]
    assert event.after["operator_platforms"] == []


@pytest.mark.parametrize("role", ["finance", "applicant"])
def test_finance_and_applicant_roles_see_their_home_and_nothing_of_the_programme(client, auth, make, role):
    user = make.user(role=role)
    auth.login(user.email)
    home = client.get("/home", expect=200).get_data(as_text=True)
    assert "我的账号" in home and "/platforms/" not in home and "/eligibility/" not in home
    for url in ("/platforms/", "/eligibility/", "/cycles/", "/reviews/", "/admin/users"):
        client.get(url, expect=403)
    client.get("/account/tokens", expect=200)


def test_the_sign_in_page_after_a_link_knows_the_address_and_escapes_it(client):
    page = client.get("/login?email=lin%40example.com", expect=200).get_data(as_text=True)
    assert 'value="lin@example.com"' in page
    page = client.get('/login?email="><script>x</script>', expect=200).get_data(as_text=True)
    assert "<script>x</script>" not in page and 'value="&#34;&gt;&lt;script&gt;x&lt;/script&gt;"' in page
