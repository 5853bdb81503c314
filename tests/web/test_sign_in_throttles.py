"""/admin/sign-in/throttles: the admin sees the (account, address) pairs that are delayed and the addresses blocked
for failing on many accounts, and lifts them (audited). Admins only."""
from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from platform_mgr.models import AuditEvent, LoginAttempt

A, B = "203.0.113.7", "198.51.100.9"
PAGE = "/admin/sign-in/throttles"


def _fail(app, email, address, times=1):
    client = app.test_client()
    for _ in range(times):
        client.post("/login", data={"email": email, "password": "bad"}, environ_base={"REMOTE_ADDR": address},
                    expect=401)


def test_the_sign_in_page_links_to_the_throttles(client, auth, make):
    auth.login(make.admin().email)
    html = client.get("/admin/sign-in?lang=en", expect=200).get_data(as_text=True)
    assert f'href="{PAGE}"' in html and "Sign-in delays and blocks" in html
    assert "登录等待与封锁" in client.get("/admin/sign-in?lang=zh_Hans_CN", expect=200).get_data(as_text=True)


def test_the_admin_sees_a_delayed_pair_and_lifts_it(app, client, auth, make, db):
    admin, user = make.admin(), make.reviewer(email="typist@example.com")
    _fail(app, user.email, A, times=4)  # 3 free, then the pair waits
    auth.login(admin.email)
    html = client.get(PAGE + "?lang=en", expect=200).get_data(as_text=True)
    assert "typist@example.com" in html and A in html and "No network address is blocked." in html
    assert "<td>4</td>" in html
    assert "需等待的账号" in client.get(PAGE + "?lang=zh_Hans_CN", expect=200).get_data(as_text=True)
    client.post(f"/admin/sign-in/throttles/lift?address={A}&account=typist@example.com", expect=302)
    assert db.exec(select(LoginAttempt)).all() == []
    event = db.exec(select(AuditEvent).where(AuditEvent.entity_type == "sign_in_throttle")).one()
    assert (event.action, event.actor_id) == ("lift", admin.id)
    assert event.after == {"address": A, "account": "typist@example.com", "failures": 4}
    page = client.get(PAGE + "?lang=en", expect=200).get_data(as_text=True)
    assert "No account is delayed." in page
    # the owner at A signs in at once
    app.test_client().post("/login", data={"email": user.email, "password": "Passw0rd!x"},
                           environ_base={"REMOTE_ADDR": A}, expect=302)
    # lifting again: nothing is left, and nothing is audited
    html = client.post(f"/admin/sign-in/throttles/lift?address={A}&account=typist@example.com&lang=en",
                       follow_redirects=True, expect=200).get_data(as_text=True)
    assert "There is nothing to lift" in html
    assert len(db.exec(select(AuditEvent).where(AuditEvent.entity_type == "sign_in_throttle")).all()) == 1


def test_the_admin_sees_a_blocked_address_and_lifts_it(app, client, auth, make, db, frozen_clock):
    admin, user = make.admin(), make.operator()
    for n in range(21):
        _fail(app, f"victim{n}@example.com", A)
    _fail(app, "someone@example.com", B)  # another address, one failure: neither listed nor touched
    auth.login(admin.email)
    html = client.get(PAGE + "?lang=en", expect=200).get_data(as_text=True)
    block = html[html.index('id="blocked-addresses"'):html.index("Delayed accounts")]
    assert A in block and "<td>21</td>" in block and B not in html
    assert f"/admin/sign-in/throttles/lift?address={A}" in block
    office = app.test_client()
    office.post("/login", data={"email": user.email, "password": "Passw0rd!x"}, environ_base={"REMOTE_ADDR": A},
                expect=429)
    client.post(f"/admin/sign-in/throttles/lift?address={A}", expect=302)
    assert [row.address for row in db.exec(select(LoginAttempt)).all()] == [B]
    event = db.exec(select(AuditEvent).where(AuditEvent.entity_type == "sign_in_throttle")).one()
    assert event.after == {"address": A, "account": None, "failures": 21}
    office.post("/login", data={"email": user.email, "password": "Passw0rd!x"}, environ_base={"REMOTE_ADDR": A},
                expect=302)


def test_a_pair_whose_wait_is_over_is_listed_as_not_waiting_now(app, client, auth, make, frozen_clock):
    _fail(app, "late@example.com", A, times=4)
    frozen_clock.shift(timedelta(seconds=5))
    auth.login(make.admin().email)
    html = client.get(PAGE + "?lang=en", expect=200).get_data(as_text=True)
    assert "late@example.com" in html and "not now; the next failure waits longer" in html


def test_only_admins_see_or_lift(app, client, auth, make, db):
    _fail(app, "typist@example.com", A, times=4)
    for role in ("reviewer", "operator", "finance", "applicant"):
        user = make.user(role)
        browser = app.test_client()
        browser.post("/login", data={"email": user.email, "password": "Passw0rd!x"}, expect=302)
        browser.get(PAGE, expect=403)
        browser.post(f"/admin/sign-in/throttles/lift?address={A}&account=typist@example.com", expect=403)
    assert len(db.exec(select(LoginAttempt)).all()) == 4
    client.get(PAGE, expect=302)  # a visitor is sent to sign in
