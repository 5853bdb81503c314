"""API skeleton: bearer auth, error format, /me, OpenAPI, pagination, platform endpoints."""
import pytest
from sqlmodel import select

from platform_mgr.models import AuditEvent, Platform


def _is_error(body, code):
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]


def test_no_token_is_401_in_error_format(api):
    response = api().get("/api/v1/me")
    assert response.status_code == 401
    _is_error(response.get_json(), "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", ["Bearer nope", "Basic abc", "Bearer ", "pm_xxx"])
def test_wrong_token_is_401(client, header):
    response = client.get("/api/v1/me", headers={"Authorization": header})
    assert response.status_code == 401
    _is_error(response.get_json(), "unauthorized")


def test_session_cookie_does_not_authenticate_the_api(client, auth, make):
    user = make.admin()
    auth.login(user.email)
    assert client.get("/api/v1/me").status_code == 401


def test_me_names_role_and_platforms(api, make):
    platform = make.platform(code="BCI")
    operator = make.operator(platform)
    body = api(operator).get("/api/v1/me").get_json()
    assert body["role"] == "operator" and body["email"] == operator.email
    assert [p["code"] for p in body["platforms"]] == ["BCI"]
    assert api(make.admin()).get("/api/v1/me").get_json()["role"] == "admin"


def test_revoked_token_stops_working(api, make, db):
    from platform_mgr.services import users

    user = make.reviewer()
    row, token = users.issue_token(db, None, user, label="script")
    db.commit()
    from tests.conftest import Api

    client = api().client
    assert Api(client, token).get("/api/v1/me").status_code == 200
    users.revoke_token(db, None, row)
    db.commit()
    assert Api(client, token).get("/api/v1/me").status_code == 401


def test_openapi_lists_every_api_route(app, client):
    doc = client.get("/api/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    documented = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    import re

    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1"):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method.lower()) in documented, f"{method} {path} is not in the OpenAPI document"


def test_openapi_document_is_valid_structure(client):
    doc = client.get("/api/openapi.json").get_json()
    refs = set()

    def walk(node):
        if isinstance(node, dict):
            if "$ref" in node:
                refs.add(node["$ref"].rsplit("/", 1)[1])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(doc["paths"])
    walk(doc["components"]["schemas"])
    assert refs <= set(doc["components"]["schemas"]), refs - set(doc["components"]["schemas"])
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            assert op["responses"], (path, method)
            assert op["operationId"]


def test_platform_list_is_paginated(api, make):
    for i in range(5):
        make.platform(code=f"X{i}")
    client = api(make.reviewer())
    body = client.get("/api/v1/platforms?per_page=2&page=2").get_json()
    assert body["total"] == 5 and body["page"] == 2 and body["per_page"] == 2
    assert [p["code"] for p in body["items"]] == ["X2", "X3"]
    bad = client.get("/api/v1/platforms?per_page=0")
    assert bad.status_code == 422 and "per_page" in bad.get_json()["error"]["fields"]


VALID = {"code": "NEW1", "name_zh": "新平台", "name_en": "New Platform", "field": "bci", "origin": "bottom_up",
         "host_institution": "某研究院"}


def test_admin_creates_and_updates_a_platform_with_audit(api, make, db):
    admin = api(make.admin())
    response = admin.post("/api/v1/platforms", json=VALID)
    assert response.status_code == 201, response.get_json()
    pid = response.get_json()["id"]
    response = admin.patch(f"/api/v1/platforms/{pid}", json={"name_en": "New platform", "status": "suspended",
                                                              "status_reason": "年度评估不合格",
                                                              "integrity_flag": True, "integrity_note": "数据不实"})
    assert response.status_code == 200 and response.get_json()["status"] == "suspended"
    events = db.exec(select(AuditEvent).where(AuditEvent.entity_type == "platform", AuditEvent.entity_id == pid)
                     .order_by(AuditEvent.id)).all()
    # the same events as the admin pages' edit and buttons write
    assert [e.action for e in events] == ["create", "update", "suspend", "flag_integrity"]
    assert events[1].before == {"name_en": "New Platform", "updated_at": events[1].before["updated_at"]}
    assert events[2].after["status_reason"] == "年度评估不合格" and events[3].after["integrity_note"] == "数据不实"


@pytest.mark.parametrize("body,field", [
    ({"status": "suspended"}, "status_reason"),
    ({"status": "delisted", "status_reason": ""}, "status_reason"),
    ({"integrity_flag": True}, "integrity_note"),
    ({"name_zh": "改名", "integrity_flag": True, "integrity_note": None}, "integrity_note"),
])
def test_a_status_or_flag_change_through_the_api_needs_its_reason(api, make, db, body, field):
    platform = make.platform()
    response = api(make.admin()).patch(f"/api/v1/platforms/{platform.id}", json=body)
    assert response.status_code == 422 and list(response.get_json()["error"]["fields"]) == [field]
    db.refresh(platform)
    assert platform.status == "active" and not platform.integrity_flag and platform.name_zh != "改名"


def test_the_api_cannot_bring_a_delisted_platform_back(api, make, db):
    platform = make.platform(status="delisted")
    admin = api(make.admin())
    response = admin.patch(f"/api/v1/platforms/{platform.id}", json={"status": "active", "status_reason": "误操作"})
    assert response.status_code == 409
    # the status it already has is no change: the other fields are saved
    response = admin.patch(f"/api/v1/platforms/{platform.id}", json={"status": "delisted", "name_en": "Old"})
    assert response.status_code == 200 and response.get_json()["name_en"] == "Old"
    db.refresh(platform)
    assert platform.status == "delisted"


@pytest.mark.parametrize("role", ["operator", "reviewer"])
def test_non_admin_cannot_create_or_update(api, make, role):
    platform = make.platform()
    client = api(make.user(role=role))
    assert client.post("/api/v1/platforms", json=VALID).status_code == 403
    assert client.patch(f"/api/v1/platforms/{platform.id}", json={"status": "delisted"}).status_code == 403


@pytest.mark.parametrize("body,field", [
    ({**VALID, "field": "astrology"}, "field"),
    ({**VALID, "code": ""}, "code"),
    ({k: v for k, v in VALID.items() if k != "name_zh"}, "name_zh"),
    ({**VALID, "founded_on": "2026-13-40"}, "founded_on"),
    ({**VALID, "unknown": 1}, "unknown"),
    ({**VALID, "code": "has space"}, "code"),
])
def test_bad_platform_input_is_422_naming_the_field_and_writes_nothing(api, make, db, body, field):
    response = api(make.admin()).post("/api/v1/platforms?lang=en", json=body)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    assert db.exec(select(Platform)).all() == []


def test_error_messages_follow_the_users_language(api, make, db):
    admin = make.admin()
    zh = api(admin).post("/api/v1/platforms", json={**VALID, "field": "x"}).get_json()
    assert zh["error"]["fields"]["field"] == "该值不在可选范围内。"
    admin.preferred_lang = "en"
    db.add(admin)
    db.commit()
    en = api(admin).post("/api/v1/platforms", json={**VALID, "field": "x"}).get_json()
    assert en["error"]["fields"]["field"] == "This value is not one of the allowed choices."


def test_duplicate_code_is_409(api, make):
    make.platform(code="DUP")
    response = api(make.admin()).post("/api/v1/platforms", json={**VALID, "code": "dup"})
    assert response.status_code == 409 and "code" in response.get_json()["error"]["fields"]


def test_non_json_body_is_422(api, make):
    response = api(make.admin()).post("/api/v1/platforms", data="not json",
                                      headers={"Content-Type": "application/json"})
    assert response.status_code == 422


def test_unknown_api_route_is_json_404(api, make):
    response = api(make.admin()).get("/api/v1/nothing-here")
    assert response.status_code == 404
    _is_error(response.get_json(), "not_found")
