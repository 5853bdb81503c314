"""Expertise and load caps in the API (DESIGN §10, issue 15 item 4): the balanced answer's reasons, never past
a cap; a manual assignment beyond the cap is 409 ``load_cap_reached``."""
from __future__ import annotations

from sqlmodel import select

from platform_mgr.models import Assignment


def test_the_balanced_answer_explains_each_pair_and_keeps_to_the_caps(api, make, db):
    bci = make.platform(field="bci")
    photonics = make.platform(field="silicon_photonics")
    expert = make.reviewer(expertise=["silicon_photonics"], max_load=1)
    other = make.reviewer(max_load=1)
    cycle = make.cycle()
    client = api(make.admin())
    preview = client.post(f"/api/v1/cycles/{cycle.id}/assignments/balanced", json={"min_per_platform": 2})
    assert preview.status_code == 200
    body = preview.get_json()
    pairs = {(p["reviewer_id"], p["platform_id"]): p for p in body["pairs"]}
    assert set(pairs) == {(expert.id, photonics.id), (other.id, bci.id)}
    assert pairs[(expert.id, photonics.id)]["reason"] == "field_match"
    assert pairs[(other.id, bci.id)]["reason"] == "least_loaded"
    assert pairs[(expert.id, photonics.id)]["load"] == 1 and pairs[(expert.id, photonics.id)]["max_load"] == 1
    assert pairs[(expert.id, photonics.id)]["reason_text"].startswith("擅长该平台所属领域")
    assert body["shortfall"] == {str(bci.id): 1, str(photonics.id): 1}  # short, never over a cap
    assert body["loads"] == {str(expert.id): 1, str(other.id): 1}
    applied = client.post(f"/api/v1/cycles/{cycle.id}/assignments/balanced",
                          json={"min_per_platform": 2, "apply": True})
    assert applied.status_code == 201 and len(db.exec(select(Assignment)).all()) == 2
    again = client.post(f"/api/v1/cycles/{cycle.id}/assignments/balanced", json={"min_per_platform": 2})
    assert again.status_code == 200 and again.get_json()["pairs"] == []  # both are at their caps


def test_a_manual_assignment_beyond_the_cap_is_409_load_cap_reached(api, make, db):
    p1, p2 = make.platform(), make.platform()
    reviewer = make.reviewer(max_load=1)
    cycle = make.cycle()
    client = api(make.admin())
    client.post(f"/api/v1/cycles/{cycle.id}/assignments", json={"reviewer_id": reviewer.id, "platform_id": p1.id},
                expect=201)
    refused = client.post(f"/api/v1/cycles/{cycle.id}/assignments?lang=en",
                          json={"reviewer_id": reviewer.id, "platform_id": p2.id})
    assert refused.status_code == 409
    error = refused.get_json()["error"]
    assert error["code"] == "load_cap_reached" and "reviewer_id" in error["fields"]
    assert "their cap is 1" in error["message"]
    assert len(db.exec(select(Assignment)).all()) == 1
