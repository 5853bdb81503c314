"""Schemathesis against /api/openapi.json, inside the suite, through the WSGI app (no server).

Every operation of the document gets generated requests (bodies, query strings, path ids), sent as
an admin and as an operator; half of them aim at objects that exist (the ids of a small world), the
rest at whatever the generator draws. No request may answer 5xx; every answer must be JSON in the
API's shape (an error is ``{"error": {"code", "message", "fields"}}``); a documented 2xx must match
the status codes the document declares. Bounded (few examples per operation, no deadline) so the
suite stays fast.
"""
from __future__ import annotations

import io
import os
from datetime import datetime, timezone

import pytest
from sqlmodel import select
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from platform_mgr.models import GateReview

CONFORMANCE = [status_code_conformance, content_type_conformance, response_schema_conformance]

PDF = b"%PDF-1.4\n%%EOF\n"
MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))


@pytest.fixture
def world(app, db, make):
    from platform_mgr.services import evidence as evidence_svc

    a = make.platform(code="FA", host_institution="甲院")
    b = make.platform(code="FB", host_institution="乙院")
    op = make.operator(a)
    admin = make.admin()
    reviewer = make.reviewer(affiliation="丙大学", gatekeeper_of=[a])
    project = make.project(a, stage="S1")
    milestone = make.milestone(project)
    outcome = make.outcome(project)
    review = GateReview(project_id=project.id, from_stage="S1", to_stage="S2", requested_by_id=op.id)
    db.add(review)
    cycle = make.cycle(state="open", opened_at=datetime(2026, 11, 1, tzinfo=timezone.utc))
    assignment = make.assignment(cycle, reviewer, a)
    make.project(b)
    db.commit()
    with app.test_request_context():
        ev = evidence_svc.store_evidence(db, None, project_id=project.id, stream=io.BytesIO(PDF), filename="a.pdf",
                                         upload_dir=app.config["UPLOAD_DIR"], max_bytes=10**6,
                                         milestone_id=milestone.id)
        db.commit()
    ids = dict(platform_id=a.id, project_id=project.id, milestone_id=milestone.id, outcome_id=outcome.id,
               evidence_id=ev.id, review_id=review.id, cycle_id=cycle.id, assignment_id=assignment.id,
               rubric_id=cycle.rubric_id, file_id=ev.id, notification_id=1, name="projects")
    return dict(tokens={"admin": make.token(admin), "operator": make.token(op)}, ids=ids)


def _operations(schema):
    for result in schema.get_all_operations():
        yield result.ok()


@pytest.mark.parametrize("who", ["admin", "operator"])
def test_no_server_error_for_any_generated_request(app, world, who):
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    headers = {"Authorization": "Bearer " + world["tokens"][who], "Accept": "application/json"}
    failures: list[str] = []
    operations = list(_operations(schema))
    assert len(operations) >= 40  # the whole API is documented

    for operation in operations:
        @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, derandomize=not os.environ.get("FUZZ_RANDOM"),
                  phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(), known=st.booleans())
        def check(case, known):
            if known and case.path_parameters:
                case.path_parameters = {k: world["ids"].get(k, v) for k, v in case.path_parameters.items()}
            response = case.call(headers=headers)
            where = f"{case.method} {case.formatted_path} {case.path_parameters} {case.query} {case.body!r:.200}"
            if response.status_code >= 500:
                failures.append(f"{response.status_code} {where}: {response.text[:300]}")
                return
            if response.status_code >= 400:
                body = response.json()
                if not (isinstance(body, dict) and set(body.get("error", {})) >= {"code", "message", "fields"}):
                    failures.append(f"{response.status_code} not in the error format {where}: {response.text[:200]}")
            elif str(response.status_code) not in operation.definition.raw.get("responses", {}):
                failures.append(f"undocumented {response.status_code} {where}")
            try:  # the answer matches what the document says: status, content type, body schema
                case.validate_response(response, checks=CONFORMANCE)
            except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - schemathesis reports a group of check failures
                failures.append(f"does not match the document {where}: {str(exc)[:600]}")

        check()
    assert not failures, f"{len(failures)} bad answers:\n" + "\n".join(failures[:25])


# --- what the fuzzer found, pinned -------------------------------------------------------------------

BIG = 2**31  # one past what an integer column holds (PostgreSQL INTEGER)


def test_ids_beyond_the_columns_range_are_not_found(api, make):
    client = api(make.admin())
    for url in (f"/api/v1/cycles/{BIG}", f"/api/v1/platforms/{10**30}"):
        res = client.get(url)
        assert (res.status_code, res.get_json()["error"]["code"]) == (404, "not_found"), url
    res = client.delete(f"/api/v1/cycles/1/assignments/{BIG}")  # the route is DELETE only
    assert (res.status_code, res.get_json()["error"]["code"]) == (404, "not_found")
    res = client.get(f"/api/v1/cycles/1/assignments/{BIG}")  # no such id: not found whatever the method
    assert (res.status_code, res.get_json()["error"]["code"]) == (404, "not_found")
    res = client.get("/api/v1/cycles/1/assignments/1")
    assert (res.status_code, res.get_json()["error"]["code"]) == (405, "method_not_allowed")
    assert client.get(f"/api/v1/exports/projects.csv?platform={BIG}").status_code == 404
    assert client.get(f"/api/v1/exports/results.csv?cycle={10**30}").status_code == 404


def test_numbers_beyond_the_columns_range_are_422_naming_the_field(api, make):
    client = api(make.admin())
    res = client.get(f"/api/v1/platforms?page={10**12}")
    assert res.status_code == 422 and "page" in res.get_json()["error"]["fields"]
    res = client.get(f"/api/v1/audit?entity_type=platform&entity_id={BIG}")
    assert res.status_code == 422 and "entity_id" in res.get_json()["error"]["fields"]
    platform = make.platform()
    res = client.patch(f"/api/v1/platforms/{platform.id}", json={"founded_on": None, "integrity_note": "x",
                                                                 "status": "active", "extra": {"deep": [BIG]}})
    assert res.status_code == 422 and res.get_json()["error"]["fields"] == {"extra": "未知字段。"}  # refused first
    project = make.project(platform)
    res = client.patch(f"/api/v1/projects/{project.id}", json={"version": 1, "budget": BIG})
    assert res.status_code == 422 and res.get_json()["error"]["fields"] == {
        "budget": f"请输入 {-(BIG - 1)} 至 {BIG - 1} 之间的整数。"}


def test_null_for_a_text_field_clears_it_and_null_for_a_flag_is_refused(api, make, db):
    admin = api(make.admin())
    platform = make.platform(integrity_note="旧说明")
    res = admin.patch(f"/api/v1/platforms/{platform.id}", json={"integrity_note": None})
    assert res.status_code == 200 and res.get_json()["integrity_note"] == ""
    res = admin.patch(f"/api/v1/platforms/{platform.id}", json={"integrity_flag": None})
    assert res.status_code == 422 and "integrity_flag" in res.get_json()["error"]["fields"]


def test_nul_characters_are_refused_naming_the_field(api, make, client, auth, db):
    from platform_mgr.models import Platform

    admin = make.admin()
    res = api(admin).post("/api/v1/platforms", json={"code": "NUL1", "name_zh": "平台", "name_en": "a\x00b",
                                                     "field": "bci", "origin": "top_down", "host_institution": "某单位"})
    assert res.status_code == 422 and "name_en" in res.get_json()["error"]["fields"]
    res = api(admin).get("/api/v1/audit?entity_type=pro\x00ject")
    assert res.status_code == 422 and "entity_type" in res.get_json()["error"]["fields"]
    auth.login(admin.email)
    page = client.post("/login", data={"email": "a\x00@example.com", "password": "x"})
    assert page.status_code == 422
    assert db.exec(select(Platform)).all() == []
