"""/admin/platforms (DESIGN §9): the list with its search and filters, create and edit through the same input
models as the API, suspend / reactivate / delist with a reason (delisting is final), the integrity flag with a
note, operators and gatekeepers. Every change is audited; a refusal names the field in the reader's language
and changes nothing; a change the platform's state does not allow answers 409."""
from __future__ import annotations

import re

import pytest
from sqlmodel import select

from platform_mgr.models import AuditEvent, Gatekeeper, OperatorPlatform, Platform

CODES = re.compile(r'href="/admin/platforms/\d+">([^<]+)</a>')
GOOD = {"code": "qx-1", "name_zh": "量子传感概念验证中心", "name_en": "Quantum sensing PoC centre",
        "field": "other", "origin": "bottom_up", "host_institution": "东岳研究院", "founded_on": "2025-03-01"}


def _events(db, action: str | None = None, entity_id: int | None = None) -> list[AuditEvent]:
    db.expire_all()
    stmt = select(AuditEvent).where(AuditEvent.entity_type == "platform")
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    if entity_id:
        stmt = stmt.where(AuditEvent.entity_id == entity_id)
    return list(db.exec(stmt.order_by(AuditEvent.id)).all())


def _platform(db, platform_id: int) -> Platform:
    db.expire_all()
    return db.get(Platform, platform_id)


@pytest.fixture
def admin(make, auth):
    user = make.admin()
    auth.login(user.email)
    return user


# --- the list ------------------------------------------------------------------------------------------------

def test_the_list_searches_code_names_and_host_and_filters(client, admin, make):
    make.platform(code="BCI", name_zh="脑机接口平台", name_en="BCI platform", field="bci", host_institution="滨江大学")
    make.platform(code="SIPH", name_zh="硅光平台", name_en="Silicon photonics hub", field="silicon_photonics",
                  origin="bottom_up", host_institution="东岳研究院", status="suspended")
    make.platform(code="CGT", name_zh="细胞治疗平台", name_en="Cell therapy", field="cell_gene_therapy",
                  host_institution="仁和医院", integrity_flag=True, integrity_note="数据造假")
    make.platform(code="ICMAT", name_zh="材料平台", name_en="IC materials", field="ic_materials",
                  host_institution="东岳研究院", status="delisted")

    def codes(query: str) -> list[str]:
        return CODES.findall(client.get("/admin/platforms" + query, expect=200).get_data(as_text=True))

    assert codes("") == ["BCI", "CGT", "ICMAT", "SIPH"]
    assert codes("?q=siph") == ["SIPH"]  # the code, in any case
    assert codes("?q=硅光") == ["SIPH"]  # the Chinese name
    assert codes("?q=CELL%20THERAPY") == ["CGT"]  # the English name
    assert codes("?q=东岳") == ["ICMAT", "SIPH"]  # the host institution
    assert codes("?field=bci") == ["BCI"]
    assert codes("?origin=bottom_up") == ["SIPH"]
    assert codes("?status=suspended") == ["SIPH"]
    assert codes("?status=delisted&q=东岳") == ["ICMAT"]
    assert codes("?integrity=1") == ["CGT"]
    assert codes("?integrity=0") == ["BCI", "ICMAT", "SIPH"]
    assert codes("?q=100%25") == []  # a LIKE wildcard is searched for, not used
    assert codes("?status=bogus&field=nope") == ["BCI", "CGT", "ICMAT", "SIPH"]  # an unknown filter is no filter


def test_the_list_is_paginated_and_has_the_new_platform_button(client, admin, make):
    for i in range(23):
        make.platform(code=f"P{i:02d}")
    page = client.get("/admin/platforms?per_page=10&page=3&lang=en", expect=200).get_data(as_text=True)
    assert CODES.findall(page) == ["P20", "P21", "P22"]
    assert "23 in all, page 3 of 3" in page and "New platform" in page
    first = client.get("/admin/platforms?per_page=10&lang=zh", expect=200).get_data(as_text=True)
    assert CODES.findall(first) == [f"P{i:02d}" for i in range(10)]
    assert 'href="/admin/platforms/new"' in first and "新建平台" in first


# --- create and edit -----------------------------------------------------------------------------------------

def test_creating_a_platform_stores_it_audits_it_and_shows_its_page(client, admin, db):
    response = client.post("/admin/platforms/new", data=GOOD, expect=302)
    db.expire_all()
    platform = db.exec(select(Platform).where(Platform.code == "QX-1")).one()  # stored in capitals
    assert response.headers["Location"] == f"/admin/platforms/{platform.id}"
    assert (platform.name_zh, platform.field, platform.origin, platform.status, str(platform.founded_on)) == (
        "量子传感概念验证中心", "other", "bottom_up", "active", "2025-03-01")
    event = _events(db, "create")[-1]
    assert event.entity_id == platform.id and event.after["code"] == "QX-1" and event.actor_id == admin.id
    page = client.get(response.headers["Location"], expect=200).get_data(as_text=True)
    assert "平台已创建" in page and "东岳研究院" in page


@pytest.mark.parametrize("field,value,en,zh", [
    ("code", "", "This field is required.", "此项为必填项。"),
    ("code", "有 空格", "This value is not valid.", "该值无效。"),
    ("code", "X" * 17, "At most 16 characters.", "最多 16 个字符。"),
    ("name_zh", "   ", "This field is required.", "此项为必填项。"),
    ("name_en", "", "This field is required.", "此项为必填项。"),
    ("field", "astrology", "This value is not one of the allowed choices.", "该值不在可选范围内。"),
    ("origin", "sideways", "This value is not one of the allowed choices.", "该值不在可选范围内。"),
    ("host_institution", "", "This field is required.", "此项为必填项。"),
    ("founded_on", "2025-13-40", "Enter a date as YYYY-MM-DD.", "请按 YYYY-MM-DD 格式输入日期。"),
])
def test_a_refused_platform_names_the_field_in_the_readers_language_and_changes_nothing(client, admin, db, field,
                                                                                      value, en, zh):
    for lang, words in (("en", en), ("zh", zh)):
        page = client.post(f"/admin/platforms/new?lang={lang}", data={**GOOD, field: value}, expect=422)
        html = page.get_data(as_text=True)
        assert f'id="{field}-err"' in html and words in html, (lang, field)
    db.expire_all()
    assert db.exec(select(Platform)).all() == [] and _events(db) == []


def test_a_taken_code_is_a_conflict_on_the_code_field(client, admin, make, db):
    make.platform(code="QX-1")
    page = client.post("/admin/platforms/new?lang=en", data={**GOOD, "code": "qx-1"}, expect=409)
    html = page.get_data(as_text=True)
    assert 'id="code-err"' in html and "Already in use." in html
    assert "已被使用" in client.post("/admin/platforms/new?lang=zh", data=GOOD, expect=409).get_data(as_text=True)
    db.expire_all()
    assert len(db.exec(select(Platform)).all()) == 1 and _events(db, "create") == []


def test_editing_a_platform_changes_its_fields_and_audits_before_and_after(client, admin, make, db):
    platform = make.platform(code="OLD", name_zh="旧名", host_institution="甲研究院")
    form = client.get(f"/admin/platforms/{platform.id}/edit", expect=200).get_data(as_text=True)
    assert 'value="OLD"' in form and 'value="甲研究院"' in form
    client.post(f"/admin/platforms/{platform.id}/edit", data={**GOOD, "code": "new", "founded_on": ""}, expect=302)
    changed = _platform(db, platform.id)
    assert (changed.code, changed.name_zh, changed.host_institution, changed.founded_on) == (
        "NEW", "量子传感概念验证中心", "东岳研究院", None)
    event = _events(db, "update")[-1]
    assert event.before["code"] == "OLD" and event.after["code"] == "NEW" and event.before["name_zh"] == "旧名"


def test_a_refused_edit_changes_nothing(client, admin, make, db):
    platform = make.platform(code="KEEP", name_en="Kept")
    other = make.platform(code="TAKEN")
    page = client.post(f"/admin/platforms/{platform.id}/edit?lang=en", data={**GOOD, "name_en": ""}, expect=422)
    assert 'id="name_en-err"' in page.get_data(as_text=True)
    client.post(f"/admin/platforms/{platform.id}/edit", data={**GOOD, "code": other.code}, expect=409)
    kept = _platform(db, platform.id)
    assert (kept.code, kept.name_en) == ("KEEP", "Kept") and _events(db, "update") == []


# --- status -------------------------------------------------------------------------------------------------

def test_suspending_needs_a_reason_and_stops_new_projects_then_reactivating_allows_them(client, admin, make, db, app):
    platform = make.platform()
    operator = make.operator(platform)
    page = client.post(f"/admin/platforms/{platform.id}/suspend?lang=en", data={"reason": "  "}, expect=422)
    assert 'id="reason-err"' in page.get_data(as_text=True) and "This field is required." in page.get_data(as_text=True)
    assert _platform(db, platform.id).status == "active" and _events(db, "suspend") == []

    client.post(f"/admin/platforms/{platform.id}/suspend", data={"reason": "年度评估不合格，暂停整改"}, expect=302)
    suspended = _platform(db, platform.id)
    assert (suspended.status, suspended.status_reason) == ("suspended", "年度评估不合格，暂停整改")
    event = _events(db, "suspend")[-1]
    assert event.before == {"status": "active", "status_reason": ""}
    assert event.after == {"status": "suspended", "status_reason": "年度评估不合格，暂停整改"}

    # the existing rule (permissions.can_create_project): no new project on a platform that is not active
    other = app.test_client()
    other.post("/login", data={"email": operator.email, "password": "Passw0rd!x"}, expect=302)
    other.get(f"/projects/platform/{platform.id}/new", expect=403)
    other.get(f"/projects/platform/{platform.id}", expect=200)  # its projects can still be read

    client.post(f"/admin/platforms/{platform.id}/reactivate", data={"reason": "整改完成"}, expect=302)
    assert _platform(db, platform.id).status == "active" and _events(db, "reactivate")[-1].after["status"] == "active"
    other.get(f"/projects/platform/{platform.id}/new", expect=200)


def test_delisting_is_final_and_every_illegal_change_answers_409_with_a_message(client, admin, make, db, app):
    platform = make.platform(code="GONE")
    operator = make.operator(platform)
    client.post(f"/admin/platforms/{platform.id}/reactivate?lang=en", data={"reason": "无"}, expect=409)
    client.post(f"/admin/platforms/{platform.id}/delist", data={"reason": "连续两次不合格"}, expect=302)
    assert _platform(db, platform.id).status == "delisted" and len(_events(db, "delist")) == 1
    page = client.post(f"/admin/platforms/{platform.id}/delist?lang=en", data={"reason": "again"}, expect=409)
    assert "The platform is already “Delisted”." in page.get_data(as_text=True)
    for action in ("suspend", "reactivate"):
        page = client.post(f"/admin/platforms/{platform.id}/{action}?lang=zh", data={"reason": "想恢复"},
                           expect=409)
        assert "该平台已摘牌" in page.get_data(as_text=True)
    delisted = _platform(db, platform.id)
    assert (delisted.status, delisted.status_reason) == ("delisted", "连续两次不合格")
    assert [e.action for e in _events(db, entity_id=platform.id)] == ["delist"]
    other = app.test_client()
    other.post("/login", data={"email": operator.email, "password": "Passw0rd!x"}, expect=302)
    other.get(f"/projects/platform/{platform.id}/new", expect=403)
    page = client.get(f"/admin/platforms/{platform.id}", expect=200).get_data(as_text=True)
    assert "/suspend" not in page and "/delist" not in page  # no button for a change that cannot be made


def test_a_suspended_platform_may_be_delisted(client, admin, make, db):
    platform = make.platform(status="suspended", status_reason="整改中")
    client.post(f"/admin/platforms/{platform.id}/delist", data={"reason": "整改未完成"}, expect=302)
    assert _platform(db, platform.id).status == "delisted"


# --- the integrity flag -------------------------------------------------------------------------------------

def test_the_integrity_flag_is_set_and_cleared_with_a_note_each_audited(client, admin, make, db):
    platform = make.platform()
    page = client.post(f"/admin/platforms/{platform.id}/integrity/set?lang=zh", data={"note": ""}, expect=422)
    assert 'id="note-err"' in page.get_data(as_text=True) and "此项为必填项" in page.get_data(as_text=True)
    assert _platform(db, platform.id).integrity_flag is False and _events(db) == []

    client.post(f"/admin/platforms/{platform.id}/integrity/set", data={"note": "自评数据造假"}, expect=302)
    flagged = _platform(db, platform.id)
    assert (flagged.integrity_flag, flagged.integrity_note) == (True, "自评数据造假")
    assert _events(db, "flag_integrity")[-1].after == {"integrity_flag": True, "integrity_note": "自评数据造假"}
    page = client.post(f"/admin/platforms/{platform.id}/integrity/set?lang=en", data={"note": "again"}, expect=409)
    assert "already set" in page.get_data(as_text=True)
    assert "诚信标记" in client.get(f"/platforms/{platform.id}?lang=zh", expect=200).get_data(as_text=True)

    client.post(f"/admin/platforms/{platform.id}/integrity/clear", data={"note": ""}, expect=422)
    client.post(f"/admin/platforms/{platform.id}/integrity/clear", data={"note": "经核查为误报"}, expect=302)
    cleared = _platform(db, platform.id)
    assert (cleared.integrity_flag, cleared.integrity_note) == (False, "经核查为误报")
    assert _events(db, "clear_integrity")[-1].before["integrity_flag"] is True
    client.post(f"/admin/platforms/{platform.id}/integrity/clear", data={"note": "再清"}, expect=409)
    assert len(_events(db, entity_id=platform.id)) == 2


# --- operators and gatekeepers -----------------------------------------------------------------------------

def _signed_in(app, user):
    other = app.test_client()
    other.post("/login", data={"email": user.email, "password": "Passw0rd!x"}, expect=302)
    return other


def test_binding_an_operator_opens_the_platforms_projects_to_them_and_unbinding_closes_them(client, admin, make,
                                                                                            db, app):
    platform = make.platform()
    project = make.project(platform)
    operator = make.operator(display_name="钱运营")
    browser = _signed_in(app, operator)
    browser.get(f"/projects/platform/{platform.id}", expect=403)
    browser.get(f"/projects/{project.id}", expect=403)
    page = client.get(f"/admin/platforms/{platform.id}", expect=200).get_data(as_text=True)
    assert f'<option value="{operator.id}">钱运营' in page

    client.post(f"/admin/platforms/{platform.id}/operators", data={"operator-user_id": str(operator.id)}, expect=302)
    db.expire_all()
    assert db.get(OperatorPlatform, (operator.id, platform.id)) is not None
    assert _events(db, "bind_operator")[-1].after == {"operators": [operator.email]}
    browser.get(f"/projects/platform/{platform.id}", expect=200)
    browser.get(f"/projects/{project.id}", expect=200)
    page = client.get(f"/admin/platforms/{platform.id}", expect=200).get_data(as_text=True)
    assert f'href="/admin/users/{operator.id}">钱运营</a>' in page  # shown among the bindings
    client.post(f"/admin/platforms/{platform.id}/operators", data={"operator-user_id": str(operator.id)}, expect=409)

    client.post(f"/admin/platforms/{platform.id}/operators/{operator.id}/delete", expect=302)
    db.expire_all()
    assert db.get(OperatorPlatform, (operator.id, platform.id)) is None
    assert _events(db, "unbind_operator")[-1].before == {"operators": [operator.email]}
    browser.get(f"/projects/platform/{platform.id}", expect=403)
    browser.get(f"/projects/{project.id}", expect=403)
    page = client.post(f"/admin/platforms/{platform.id}/operators/{operator.id}/delete?lang=en", expect=409)
    assert "is not bound to this platform" in page.get_data(as_text=True)


def test_binding_a_gatekeeper_lets_them_read_the_platforms_projects(client, admin, make, db, app):
    platform = make.platform()
    project = make.project(platform)
    reviewer = make.reviewer()
    browser = _signed_in(app, reviewer)
    browser.get(f"/projects/{project.id}", expect=403)
    client.post(f"/admin/platforms/{platform.id}/gatekeepers", data={"gatekeeper-user_id": str(reviewer.id)},
                expect=302)
    db.expire_all()
    assert db.get(Gatekeeper, (reviewer.id, platform.id)) is not None
    assert _events(db, "bind_gatekeeper")[-1].after == {"gatekeepers": [reviewer.email]}
    browser.get(f"/projects/{project.id}", expect=200)
    client.post(f"/admin/platforms/{platform.id}/gatekeepers/{reviewer.id}/delete", expect=302)
    browser.get(f"/projects/{project.id}", expect=403)
    assert len(_events(db, "unbind_gatekeeper")) == 1


@pytest.mark.parametrize("kind,who", [("operator", "reviewer"), ("operator", "inactive_operator"),
                                      ("operator", "nobody"), ("operator", "blank"), ("gatekeeper", "operator"),
                                      ("gatekeeper", "admin"), ("gatekeeper", "inactive_reviewer")])
def test_only_an_active_person_of_the_bindings_role_is_bound(client, admin, make, db, kind, who):
    platform = make.platform()
    people = {"reviewer": make.reviewer(), "operator": make.operator(), "admin": admin,
              "inactive_operator": make.operator(active=False), "inactive_reviewer": make.reviewer(active=False)}
    user_id = {"nobody": "999999", "blank": ""}[who] if who in ("nobody", "blank") else str(people[who].id)
    page = client.post(f"/admin/platforms/{platform.id}/{kind}s?lang=en", data={f"{kind}-user_id": user_id},
                       expect=422)
    html = page.get_data(as_text=True)
    assert f'id="{kind}-user_id-err"' in html
    assert ("This field is required." if who == "blank" else
            "Choose an active platform operator." if kind == "operator" else "Choose an active reviewer.") in html
    db.expire_all()
    assert db.exec(select(OperatorPlatform)).all() == [] and db.exec(select(Gatekeeper)).all() == []
    assert _events(db) == []


# --- who may ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["operator", "reviewer", "finance", "applicant"])
def test_anyone_but_an_admin_is_refused_403_and_nothing_changes(client, auth, make, db, role):
    platform = make.platform(code="SAFE")
    user = make.user(role=role, platforms=[platform] if role == "operator" else ())
    auth.login(user.email)
    for url in ("/admin/platforms", "/admin/platforms/new", f"/admin/platforms/{platform.id}",
                f"/admin/platforms/{platform.id}/edit"):
        client.get(url, expect=403)
    client.post("/admin/platforms/new", data=GOOD, expect=403)
    client.post(f"/admin/platforms/{platform.id}/edit", data=GOOD, expect=403)
    for action, data in (("suspend", {"reason": "x"}), ("delist", {"reason": "x"}), ("integrity/set", {"note": "x"}),
                         ("operators", {"operator-user_id": str(user.id)})):
        client.post(f"/admin/platforms/{platform.id}/{action}", data=data, expect=403)
    after = _platform(db, platform.id)
    assert (after.code, after.status, after.integrity_flag) == ("SAFE", "active", False) and _events(db) == []
    assert "/admin/platforms" not in client.get(f"/platforms/{platform.id}", expect=403 if role in (
        "finance", "applicant") else 200).get_data(as_text=True)


def test_an_admin_reaches_the_admin_page_from_the_platforms_public_page(client, admin, make):
    platform = make.platform()
    assert f'href="/admin/platforms/{platform.id}"' in client.get(f"/platforms/{platform.id}",
                                                                  expect=200).get_data(as_text=True)
    assert 'href="/admin/platforms"' in client.get("/platforms/", expect=200).get_data(as_text=True)
