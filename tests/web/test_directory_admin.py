"""/admin/sign-in: the directories configured, and the roles an admin makes sign in through one (DESIGN §9).
Versioned (a stale form answers 409), audited, refused while no directory is configured."""
from __future__ import annotations

from sqlmodel import select

from platform_mgr.models import AuditEvent, SignInPolicy

LDAP = {"LDAP_URL": "ldap://ldap.commission.example", "LDAP_BASE_DN": "ou=people,dc=commission,dc=example"}


def _policy(db) -> SignInPolicy | None:
    db.expire_all()
    return db.get(SignInPolicy, 1)


def test_the_page_says_which_directories_are_configured(app, client, auth, make):
    admin = make.admin()
    auth.login(admin.email, lang="en")
    html = client.get("/admin/sign-in?lang=en", expect=200).get_data(as_text=True)
    assert html.count("Not configured") == 2
    app.config.update(LDAP, OIDC_ISSUER="https://id.shanghai.example", OIDC_CLIENT_ID="pm",
                      OIDC_LABEL_ZH="统一身份认证", OIDC_LABEL_EN="Unified identity")
    html = client.get("/admin/sign-in", expect=200).get_data(as_text=True)
    assert "Not configured" not in html and "ldap://ldap.commission.example" in html
    assert "https://id.shanghai.example" in html and "统一身份认证 / Unified identity" in html
    assert "须通过统一身份认证登录的角色" in client.get("/admin/sign-in?lang=zh_Hans_CN", expect=200).get_data(as_text=True)


def test_an_admin_makes_a_role_sign_in_through_the_directory(app, client, auth, make, db):
    app.config.update(LDAP)
    admin, reviewer = make.admin(), make.reviewer()
    auth.login(admin.email)
    client.get("/admin/sign-in", expect=200)
    client.post("/admin/sign-in", data={"directory_roles": ["reviewer", "finance"], "version": "1"}, expect=302)
    row = _policy(db)
    assert row.directory_roles == ["finance", "reviewer"] and row.version == 2
    event = db.exec(select(AuditEvent).where(AuditEvent.entity_type == "sign_in_policy")).one()
    assert (event.actor_id, event.before, event.after) == (admin.id, {"directory_roles": []},
                                                          {"directory_roles": ["finance", "reviewer"]})
    other = app.test_client()
    other.post("/login?lang=en", data={"email": reviewer.email, "password": "Passw0rd!x"}, expect=403)
    # and back: the local password works again
    client.post("/admin/sign-in", data={"version": "2"}, expect=302)
    assert _policy(db).directory_roles == []
    other.post("/login", data={"email": reviewer.email, "password": "Passw0rd!x"}, expect=302)


def test_a_stale_form_is_refused_and_nothing_is_written(app, client, auth, make, db):
    app.config.update(LDAP)
    auth.login(make.admin().email, lang="en")
    client.get("/admin/sign-in", expect=200)
    client.post("/admin/sign-in", data={"directory_roles": ["reviewer"], "version": "1"}, expect=302)
    html = client.post("/admin/sign-in", data={"directory_roles": ["operator"], "version": "1"},
                       expect=409).get_data(as_text=True)
    assert "changed by someone else" in html
    assert _policy(db).directory_roles == ["reviewer"]


def test_without_a_directory_no_role_can_be_made_to_need_one(client, auth, make, db):
    auth.login(make.admin().email, lang="en")
    client.get("/admin/sign-in", expect=200)
    html = client.post("/admin/sign-in", data={"directory_roles": ["reviewer"], "version": "1"},
                       expect=422).get_data(as_text=True)
    assert "No directory is configured" in html
    assert _policy(db) is None


def test_an_unknown_role_is_refused(app, client, auth, make, db):
    app.config.update(LDAP)
    auth.login(make.admin().email)
    client.get("/admin/sign-in", expect=200)
    client.post("/admin/sign-in", data={"directory_roles": ["superuser"], "version": "1"}, expect=422)
    assert _policy(db) is None
