"""GET /api/v1/cycles/{id}/eligibility: rows of DESIGN §7, visibility, languages, filters."""
from __future__ import annotations

from sqlmodel import select

from platform_mgr.models import AuditEvent
from platform_mgr.services import eligibility as svc

from ..services.test_eligibility import CLOSE, EXPECTED, scenario

URL = "/api/v1/cycles/{}/eligibility"


def publish(db, cycle):
    cycle.state = "published"
    db.add(cycle)
    db.commit()


def test_admin_reads_live_provisional_rows_of_an_open_cycle(app, db, make, api):
    cycle, p, *_ = scenario(make, db, state="open")
    client = api(make.admin(preferred_lang="en"))
    events = len(db.exec(select(AuditEvent)).all())
    res = client.get(URL.format(cycle.id))
    assert res.status_code == 200, res.json
    body = res.json
    assert body["provisional"] is True and body["frozen_at"] is None and body["payload_digest"] is None
    assert body["total"] == 6 and body["page"] == 1 and body["budget"] == 6_000_000
    first = body["items"][0]
    assert set(first) >= {"platform_id", "code", "rank", "total", "grade", "verdict", "tier", "award", "disputed",
                          "provisional", "reasons"}
    assert first["provisional"] is True
    got = [(r["code"], r["rank"], r["total"], r["grade"], r["verdict"], r["tier"], r["award"]) for r in body["items"]]
    assert got == EXPECTED
    beta = next(r for r in body["items"] if r["code"] == "BETA")
    r2 = next(x for x in beta["reasons"] if x["rule"] == "R2_GRADE")
    assert r2["passed"] and r2["detail"] == r2["detail_en"] and "outside the top 30%" in r2["detail"]
    assert r2["figures"]["top_rank_cutoff"] == 2 and len(beta["reasons"]) == 7
    # the caller's language: ?lang=zh gives the Chinese sentence in `detail`
    zh = client.get(URL.format(cycle.id) + "?lang=zh").json
    r2 = next(x for x in zh["items"] if x["code"] == "BETA")["reasons"][1]
    assert r2["detail"] == r2["detail_zh"] and "排名第 3 位" in r2["detail"]
    assert len(db.exec(select(AuditEvent)).all()) == events  # a GET writes nothing


def test_filters_and_pagination(app, db, make, api):
    cycle, p, *_ = scenario(make, db, state="open")
    client = api(make.admin())
    body = client.get(URL.format(cycle.id) + "?verdict=eligible").json
    assert [r["code"] for r in body["items"]] == ["ALPHA", "BETA"] and body["total"] == 2
    assert [r["code"] for r in client.get(URL.format(cycle.id) + "?grade=good").json["items"]] == ["BETA", "DELTA", "GAMMA"]
    assert [r["code"] for r in client.get(URL.format(cycle.id) + "?grade=none").json["items"]] == ["ZETA"]
    assert [r["code"] for r in client.get(URL.format(cycle.id) + "?field=silicon_photonics&origin=bottom_up").json[
        "items"]] == ["ALPHA"]
    page = client.get(URL.format(cycle.id) + "?per_page=2&page=2").json
    assert [r["code"] for r in page["items"]] == ["BETA", "DELTA"] and page["total"] == 6
    bad = client.get(URL.format(cycle.id) + "?per_page=0")
    assert bad.status_code == 422 and "per_page" in bad.json["error"]["fields"]


def test_frozen_rows_and_digest(app, db, make, api):
    cycle, *_ = scenario(make, db)
    snapshot = svc.freeze_snapshot(db, cycle, now=CLOSE)
    body = api(make.admin()).get(URL.format(cycle.id)).json
    assert body["provisional"] is False and body["frozen_at"] == "2026-12-01T02:00:00Z"
    assert body["payload_digest"] == snapshot.payload_digest and body["inputs_digest"] == snapshot.inputs_digest
    assert all(r["provisional"] is False for r in body["items"])


def test_visibility_before_and_after_publication(app, db, make, api):
    cycle, p, *_ = scenario(make, db)
    svc.freeze_snapshot(db, cycle, now=CLOSE)
    operator = make.operator(p["GAMMA"])
    reviewer = make.reviewer()
    for user in (operator, reviewer):
        res = api(user).get(URL.format(cycle.id))
        assert res.status_code == 403 and res.json["error"]["code"] == "forbidden"
    assert api(None).get(URL.format(cycle.id)).status_code == 401
    assert api(make.admin()).get(URL.format(999)).status_code == 404

    publish(db, cycle)
    body = api(operator).get(URL.format(cycle.id)).json
    assert body["total"] == 6  # the public list
    rows = {r["code"]: r for r in body["items"]}
    assert rows["GAMMA"]["explained"] is True and len(rows["GAMMA"]["reasons"]) == 7  # their own platform
    assert rows["ALPHA"]["explained"] is False and rows["ALPHA"]["reasons"] == []  # another platform's
    assert rows["ALPHA"]["verdict"] == "eligible" and rows["ALPHA"]["award"] == 5_000_000


def test_openapi_documents_the_endpoints(app, client):
    paths = client.get("/api/openapi.json").json["paths"]
    assert "get" in paths["/api/v1/cycles/{cycle_id}/eligibility"]
    assert "get" in paths["/api/v1/exports/{name}.csv"] and "get" in paths["/api/v1/exports/{name}.xlsx"]
