"""Institutions (DESIGN §10, §17): the admin pages list, search, create, edit and merge them; the API reads,
creates and edits them; users and platforms refer to one by ``institution_id``, and the old text inputs
(a platform's ``host_institution``, a user's affiliation, ``users create --affiliation``) find it by
normalised name or create it. Every change is audited."""
from __future__ import annotations

from sqlmodel import select

from platform_mgr.models import AuditEvent, Institution, Platform, User

PLATFORM = {"code": "qx-1", "name_zh": "量子传感概念验证中心", "name_en": "Quantum sensing PoC centre",
            "field": "other", "origin": "bottom_up"}


def _institutions(db) -> list[Institution]:
    db.expire_all()
    return list(db.exec(select(Institution).order_by(Institution.id)).all())


def _events(db, action: str) -> list[AuditEvent]:
    return list(db.exec(select(AuditEvent).where(AuditEvent.entity_type == "institution",
                                                 AuditEvent.action == action)).all())


def test_a_platform_host_text_finds_the_institution_by_normalised_name(make, db, api):
    admin = make.admin()
    host = api(admin).post("/api/v1/institutions", json={"name_zh": "华东脑机智能研究院", "name_en": "East China BCI"},
                           expect=201).json
    assert host == {"id": host["id"], "name_zh": "华东脑机智能研究院", "name_en": "East China BCI", "aliases": [],
                    "parent_id": None, "credit_code": None}
    created = api(admin).post("/api/v1/platforms", json={**PLATFORM, "host_institution": "華東腦機智能研究院\u200b"},
                              expect=201).json
    assert created["institution_id"] == host["id"] and created["host_institution"] == "华东脑机智能研究院"
    assert len(_institutions(db)) == 1
    # a name no institution has creates one
    other = api(admin).post("/api/v1/platforms", json={**PLATFORM, "code": "qx-2", "host_institution": "东岳研究院"},
                            expect=201).json
    assert other["institution_id"] != host["id"] and len(_institutions(db)) == 2
    assert len(_events(db, "create")) == 2
    # by id
    moved = api(admin).patch(f"/api/v1/platforms/{other['id']}", json={"institution_id": host["id"]}, expect=200).json
    assert moved["institution_id"] == host["id"] and moved["host_institution"] == "华东脑机智能研究院"
    refused = api(admin).patch(f"/api/v1/platforms/{other['id']}", json={"institution_id": 999}, expect=422).json
    assert "institution_id" in refused["error"]["fields"]
    missing = api(admin).post("/api/v1/platforms", json={**PLATFORM, "code": "qx-3"}, expect=422).json
    assert "host_institution" in missing["error"]["fields"]


def test_the_api_refuses_a_second_institution_of_one_name(make, api):
    admin = make.admin()
    api(admin).post("/api/v1/institutions", json={"name_zh": "复兴大学", "aliases": ["复大"]}, expect=201)
    for name in ("復興大學", "复 大", "ＦＵ"):
        body = {"name_zh": name} if name != "ＦＵ" else {"name_zh": "别的", "aliases": ["复兴 大学"]}
        answer = api(admin).post("/api/v1/institutions", json=body, expect=409).json
        assert answer["error"]["code"] == "institution_exists"
    bad = api(admin).post("/api/v1/institutions", json={"name_zh": "某公司", "credit_code": "123"}, expect=422).json
    assert "credit_code" in bad["error"]["fields"]
    good = api(admin).post("/api/v1/institutions", json={"name_zh": "某公司", "credit_code": "91310000ma1fl4xq3b"},
                           expect=201).json
    assert good["credit_code"] == "91310000MA1FL4XQ3B"
    unknown = api(admin).post("/api/v1/institutions", json={"name_zh": "甲", "colour": "red"}, expect=422).json
    assert "colour" in unknown["error"]["fields"]


def test_patch_renames_and_sets_a_parent_that_is_not_a_descendant(make, db, api):
    admin = make.admin()
    university = api(admin).post("/api/v1/institutions", json={"name_zh": "复兴大学"}, expect=201).json
    hospital = api(admin).post("/api/v1/institutions", json={"name_zh": "复兴大学附属医院"}, expect=201).json
    reviewer = make.reviewer(affiliation="复兴大学附属医院", institution_id=hospital["id"])
    patched = api(admin).patch(f"/api/v1/institutions/{hospital['id']}",
                               json={"parent_id": university["id"], "name_zh": "复兴大学附属中山医院"}, expect=200).json
    assert patched["parent_id"] == university["id"]
    db.expire_all()
    assert db.get(User, reviewer.id).affiliation == "复兴大学附属中山医院"  # the name reads as the institution's
    cycle = api(admin).patch(f"/api/v1/institutions/{university['id']}", json={"parent_id": hospital["id"]},
                             expect=422).json
    assert "parent_id" in cycle["error"]["fields"]
    assert api(admin).get(f"/api/v1/institutions?q=復興", expect=200).json["total"] == 2
    assert api(admin).get(f"/api/v1/institutions/{university['id']}", expect=200).json["name_zh"] == "复兴大学"
    api(admin).get("/api/v1/institutions/999", expect=404)
    api(make.reviewer()).get("/api/v1/institutions", expect=403)


def test_admin_pages_create_edit_search_and_merge(make, db, auth, client):
    admin = make.admin()
    auth.login(admin.email)
    page = client.get("/admin/institutions", expect=200).get_data(as_text=True)
    assert 'href="/admin/institutions/new"' in page
    client.post("/admin/institutions/new", data={"name_zh": "", "name_en": ""}, expect=422)
    client.post("/admin/institutions/new", data={"name_zh": "复兴大学", "name_en": "Fuxing University",
                                                 "aliases": "复大\n\nFuxing U", "credit_code": ""}, expect=302)
    client.post("/admin/institutions/new", data={"name_zh": "復興大學"}, expect=409)
    client.post("/admin/institutions/new", data={"name_zh": "复旦大学医学院", "parent_id": ""}, expect=302)
    first, second = _institutions(db)
    second_id = second.id
    assert first.aliases == ["复大", "Fuxing U"] and first.credit_code is None
    found = client.get("/admin/institutions?q=復興", expect=200).get_data(as_text=True)
    assert "复兴大学" in found and "复旦大学医学院" not in found
    client.post(f"/admin/institutions/{second.id}", data={"name_zh": "复兴大学医学院", "name_en": "",
                                                          "aliases": "", "parent_id": str(first.id),
                                                          "credit_code": ""}, expect=302)
    assert _institutions(db)[1].parent_id == first.id
    operator = make.operator(affiliation="复兴大学医学院", institution_id=second.id)
    platform = make.platform(host_institution="复兴大学医学院", institution_id=second.id)
    client.post(f"/admin/institutions/{second_id}/merge", data={"into_id": ""}, expect=422)
    client.post(f"/admin/institutions/{second_id}/merge", data={"into_id": str(first.id)}, expect=302)
    [kept] = _institutions(db)
    assert kept.id == first.id and "复兴大学医学院" in kept.aliases
    assert db.get(User, operator.id).institution_id == first.id and db.get(User, operator.id).affiliation == "复兴大学"
    assert db.get(Platform, platform.id).institution_id == first.id
    assert len(_events(db, "merge")) == 1 and len(_events(db, "delete")) == 1
    client.get(f"/admin/institutions/{second_id}", expect=404)


def test_a_user_affiliation_finds_or_creates_the_institution(make, db, auth, client, runner):
    admin = make.admin()
    auth.login(admin.email)
    client.post("/admin/institutions/new", data={"name_zh": "华东脑机智能研究院"}, expect=302)
    [host] = _institutions(db)
    client.post("/admin/users/invite", data={"email": "r1@example.com", "display_name": "审一", "role": "reviewer",
                                             "affiliation": "華東腦機智能研究院", "preferred_lang": "zh_Hans_CN"}, expect=201)
    invited = db.exec(select(User).where(User.email == "r1@example.com")).one()
    assert invited.institution_id == host.id and invited.affiliation == "华东脑机智能研究院"
    result = runner.invoke(args=["users", "create", "--email", "r2@example.com", "--role", "reviewer",
                                 "--password", "Quite-l0ng-passw0rd", "--affiliation", "华东脑机智能研究院\u200b"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["users", "create", "--email", "r3@example.com", "--role", "reviewer",
                                 "--password", "Quite-l0ng-passw0rd", "--affiliation", "东岳研究院"])
    assert result.exit_code == 0, result.output
    db.expire_all()
    by_email = {u.email: u for u in db.exec(select(User)).all()}
    assert by_email["r2@example.com"].institution_id == host.id
    assert by_email["r3@example.com"].institution_id not in (None, host.id)
    assert [i.name_zh for i in _institutions(db)] == ["华东脑机智能研究院", "东岳研究院"]
