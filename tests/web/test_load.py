"""Expertise and load caps on the pages (DESIGN §10, issue 15 item 4): the admin's user form, the balanced
suggestion's reasons, a manual assignment beyond a cap."""
from __future__ import annotations

import re

import pytest
from sqlmodel import select

from platform_mgr.models import Assignment, AuditEvent, User


def _reviewer_form(**kw) -> dict:
    return {"display_name": "评审甲", "role": "reviewer", "affiliation": "", **kw}


def test_the_admin_sets_expertise_and_a_cap_and_the_change_is_audited(client, auth, make, db):
    reviewer = make.reviewer()
    auth.login(make.admin().email)
    page = client.get(f"/admin/users/{reviewer.id}", expect=200).get_data(as_text=True)
    assert 'name="expertise"' in page and 'name="max_load"' in page and "擅长领域" in page
    client.post(f"/admin/users/{reviewer.id}",
                data=_reviewer_form(expertise=["silicon_photonics", "bci"], max_load="3"), expect=302)
    db.expire_all()
    changed = db.get(User, reviewer.id)
    assert changed.expertise == ["bci", "silicon_photonics"] and changed.max_load == 3
    event = db.exec(select(AuditEvent).where(AuditEvent.action == "update")).all()[-1]
    assert event.before["expertise"] == [] and event.before["max_load"] is None
    assert event.after["expertise"] == ["bci", "silicon_photonics"] and event.after["max_load"] == 3
    page = client.get(f"/admin/users/{reviewer.id}", expect=200).get_data(as_text=True)
    assert re.search(r'<option selected value="bci">|<option value="bci" selected>', page)
    assert 'value="3"' in page
    client.post(f"/admin/users/{reviewer.id}", data=_reviewer_form(max_load=""), expect=302)  # empty: no cap
    db.expire_all()
    assert db.get(User, reviewer.id).max_load is None and db.get(User, reviewer.id).expertise == []


@pytest.mark.parametrize("value, zh, en", [("abc", "请输入整数。", "Enter a whole number."),
                                           ("0", "数值过小。", "This value is too small."),
                                           ("-2", "数值过小。", "This value is too small."),
                                           ("1.5", "请输入整数。", "Enter a whole number."),
                                           ("201", "数值过大。", "This value is too large.")])
def test_a_bad_cap_is_refused_naming_the_field_in_both_languages(client, auth, make, db, value, zh, en):
    reviewer = make.reviewer()
    auth.login(make.admin().email)
    for lang, words in (("zh", zh), ("en", en)):
        html = client.post(f"/admin/users/{reviewer.id}?lang={lang}", data=_reviewer_form(max_load=value),
                           expect=422).get_data(as_text=True)
        assert 'id="max_load-err"' in html and words in html
    db.expire_all()
    assert db.get(User, reviewer.id).max_load is None


def test_an_unknown_field_is_refused_and_the_invitation_takes_both(client, auth, make, db):
    auth.login(make.admin().email)
    html = client.post("/admin/users/invite?lang=en", data={
        "email": "x@example.com", "display_name": "评审", "role": "reviewer", "preferred_lang": "zh_Hans_CN",
        "expertise": ["bci", "astrology"]}, expect=422).get_data(as_text=True)
    assert 'id="expertise-err"' in html and "This value is not one of the allowed choices." in html
    assert db.exec(select(User).where(User.email == "x@example.com")).first() is None
    client.post("/admin/users/invite", data={"email": "y@example.com", "display_name": "评审", "role": "reviewer",
                                             "preferred_lang": "zh_Hans_CN", "expertise": ["ic_materials"],
                                             "max_load": "2"}, expect=201)
    invited = db.exec(select(User).where(User.email == "y@example.com")).one()
    assert (invited.expertise, invited.max_load) == (["ic_materials"], 2)


def test_the_suggestion_says_why_it_picked_each_pair(client, auth, make, db):
    make.platform(code="Q1", field="bci")
    make.reviewer(display_name="脑机专家", expertise=["bci"])
    cycle = make.cycle()
    auth.login(make.admin().email)
    html = client.post(f"/cycles/{cycle.id}/assignments/balanced?lang=en",
                       data={"min_per_platform": "2", "preview": "1"}, expect=200).get_data(as_text=True)
    assert re.search(r"Works in the platform(&#39;|')s field \(Brain–computer interfaces\); the least loaded such "
                     r"reviewer \(1 assignments with this one\)\.", html)
    assert "Too few eligible reviewers for:" in html and "Q1 (1 missing)" in html
    zh = client.post(f"/cycles/{cycle.id}/assignments/balanced?lang=zh",
                     data={"min_per_platform": "1", "preview": "1"}, expect=200).get_data(as_text=True)
    assert "擅长该平台所属领域" in zh


def test_assigning_beyond_the_cap_is_refused_with_409_naming_it(client, auth, make, db):
    p1, p2 = make.platform(), make.platform()
    reviewer = make.reviewer(display_name="满额专家", max_load=1)
    cycle = make.cycle()
    auth.login(make.admin().email)
    client.post(f"/cycles/{cycle.id}/assignments", data={"reviewer_id": reviewer.id, "platform_id": p1.id},
                expect=302)
    html = client.post(f"/cycles/{cycle.id}/assignments?lang=en",
                       data={"reviewer_id": reviewer.id, "platform_id": p2.id}, expect=409).get_data(as_text=True)
    assert "满额专家 already has 1 assignments in this cycle: their cap is 1." in html
    assert len(db.exec(select(Assignment)).all()) == 1
