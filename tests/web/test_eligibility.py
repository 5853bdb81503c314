"""The eligibility pages: list with filters, explanations, public notice, what-if, downloads; visibility."""
from __future__ import annotations

import hashlib
import re

import pytest
from sqlmodel import select

from platform_mgr.models import AuditEvent, EligibilitySnapshot, ReviewCycle
from platform_mgr.services import eligibility as svc

from ..services.test_eligibility import CLOSE, scenario


def text(res) -> str:
    return res.get_data(as_text=True)


def publish(db, cycle):
    cycle.state = "published"
    db.add(cycle)
    db.commit()


def no_inline_code(html: str) -> None:
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline script"
    assert " style=" not in html, "inline style attribute"


def test_admin_list_of_an_open_cycle_is_provisional_in_both_languages(app, db, make, client, auth):
    cycle, p, *_ = scenario(make, db, state="open")
    admin = make.admin()
    auth.login(admin.email)
    res = client.get(f"/eligibility/cycles/{cycle.id}?lang=en")
    assert res.status_code == 200
    html = text(res)
    no_inline_code(html)
    assert "Provisional" in html and "computed live" in html
    assert "Awards against the budget" in html and "Tier A" in html
    for code in ("ALPHA", "BETA", "GAMMA", "DELTA", "EPS", "ZETA"):
        assert code in html
    assert "rank 3 is outside the top 30%" in html  # BETA's R2 sentence, in English
    assert f"/exports/eligibility.csv?cycle={cycle.id}" in html and f"/exports/results.xlsx?cycle={cycle.id}" in html
    assert f"/eligibility/cycles/{cycle.id}/what-if" in html and f"/eligibility/cycles/{cycle.id}/notice" in html
    zh = text(client.get(f"/eligibility/cycles/{cycle.id}?lang=zh"))
    assert "暂定" in zh and "排名第 3 位" in zh and "资助金额与预算" in zh


def test_filters(app, db, make, client, auth):
    cycle, *_ = scenario(make, db, state="open")
    auth.login(make.admin().email)
    html = text(client.get(f"/eligibility/cycles/{cycle.id}?verdict=eligible&lang=en"))
    assert "ALPHA" in html and "BETA" in html and "GAMMA" not in html and "ZETA" not in html
    html = text(client.get(f"/eligibility/cycles/{cycle.id}?field=silicon_photonics&origin=bottom_up"))
    assert "ALPHA" in html and "BETA" not in html
    html = text(client.get(f"/eligibility/cycles/{cycle.id}?grade=none"))
    assert "ZETA" in html and "ALPHA" not in html
    html = text(client.get(f"/eligibility/cycles/{cycle.id}?verdict=bogus"))  # an unknown value is ignored
    assert "ALPHA" in html and "ZETA" in html


def test_visibility_before_and_after_publication(app, db, make, client, auth):
    cycle, p, *_ = scenario(make, db)
    svc.freeze_snapshot(db, cycle, now=CLOSE)
    operator = make.operator(p["GAMMA"])
    other = make.operator(p["ALPHA"])
    base = f"/eligibility/cycles/{cycle.id}"
    assert client.get(base).status_code == 302  # anonymous: to the sign-in page
    auth.login(operator.email)
    for url in (base, f"{base}/notice", f"{base}/platforms/{p['GAMMA'].id}", f"{base}/what-if",
                f"/exports/eligibility.csv?cycle={cycle.id}"):
        assert client.get(url).status_code == 403, url
    assert f"/eligibility/cycles/{cycle.id}\"" not in text(client.get("/eligibility/"))  # not listed yet

    publish(db, cycle)
    assert f"/eligibility/cycles/{cycle.id}\"" in text(client.get("/eligibility/"))
    html = text(client.get(base + "?lang=en"))
    assert "Provisional" not in html and "Frozen at the close" in html
    assert f"{base}/platforms/{p['GAMMA'].id}" in html  # own explanation linked
    assert f"{base}/platforms/{p['ALPHA'].id}" not in html  # nobody else's
    assert "rank 3 is outside" not in html  # BETA's explanation is not shown to GAMMA's operator
    own = client.get(f"{base}/platforms/{p['GAMMA'].id}?lang=en")
    assert own.status_code == 200
    html = text(own)
    assert "0 gates passed in the data window; at least 1 required" in html
    assert "Gates passed in the window" in html and "Conditional" in html
    zh = text(client.get(f"{base}/platforms/{p['GAMMA'].id}?lang=zh"))
    assert "数据窗口内通过阶段门 0 次，要求至少 1 次" in zh
    assert client.get(f"{base}/platforms/{p['ALPHA'].id}").status_code == 403  # another platform
    assert client.get(f"{base}/what-if").status_code == 403  # admins only
    assert client.get(f"{base}/notice").status_code == 200

    auth.logout()
    auth.login(other.email)
    assert client.get(f"{base}/platforms/{p['GAMMA'].id}").status_code == 403


def test_public_notice_prints_the_eligible_platforms(app, db, make, client, auth):
    cycle, p, *_ = scenario(make, db)
    snapshot = svc.freeze_snapshot(db, cycle, now=CLOSE)
    publish(db, cycle)
    auth.login(make.operator(p["ZETA"]).email)
    res = client.get(f"/eligibility/cycles/{cycle.id}/notice?lang=zh")
    assert res.status_code == 200
    html = text(res)
    no_inline_code(html)
    assert 'class="public-notice"' in html and "data-print" in html and "js/eligibility.js" in html
    assert "PROVISIONAL" not in html and snapshot.payload_digest in html
    notice = html.split('class="public-notice"', 1)[1]
    eligible_part, _, rest = notice.partition("整改后")
    assert "ALPHA" in eligible_part and "BETA" in eligible_part and "500.00 万元" in eligible_part
    assert "GAMMA" in rest  # conditional: eligible after remediation
    assert "EPS" not in notice and "DELTA" not in notice and "ZETA" not in notice


def test_notice_of_an_open_cycle_is_marked_provisional_for_admins(app, db, make, client, auth):
    cycle, *_ = scenario(make, db, state="open")
    auth.login(make.admin().email)
    html = text(client.get(f"/eligibility/cycles/{cycle.id}/notice?lang=en"))
    assert "PROVISIONAL — computed live, not for publication" in html


def test_what_if_simulates_without_touching_the_cycle(app, db, make, client, auth):
    cycle, p, *_ = scenario(make, db)
    snapshot = svc.freeze_snapshot(db, cycle, now=CLOSE)
    auth.login(make.admin().email)
    base = f"/eligibility/cycles/{cycle.id}/what-if"
    form = text(client.get(base + "?lang=en"))  # (remembering the language is the sign-in's write, not ours)
    events = len(db.exec(select(AuditEvent)).all())
    assert "This is a simulation." in form and 'name="min_reviews" value="3"' in form
    assert 'name="budget" value="6000000"' in form
    res = client.get(base + "?run=1&min_reviews=2&budget=8000000&lang=en")
    assert res.status_code == 200
    html = text(res)
    no_inline_code(html)
    assert "Simulated result" in html and "Changed" in html
    delta_row = html.split("<strong>DELTA</strong>", 1)[1].split("</tr>", 1)[0]
    assert "Eligible" in delta_row and "¥1,000,000" in delta_row
    db.expire_all()
    assert db.get(ReviewCycle, cycle.id).rules == {} and db.get(ReviewCycle, cycle.id).budget == 6_000_000
    assert db.get(EligibilitySnapshot, snapshot.id).payload == snapshot.payload
    assert len(db.exec(select(AuditEvent)).all()) == events

    bad = client.get(base + "?run=1&good=95&lang=en")
    assert bad.status_code == 422
    html = text(bad)
    assert 'id="p-good-err"' in html and "The Good threshold cannot be above the Excellent threshold" in html
    bad = client.get(base + "?run=1&budget=lots&lang=zh")
    assert bad.status_code == 422 and 'id="p-budget-err"' in text(bad) and "请填写" in text(bad)


def test_download_from_the_page(app, db, make, client, auth):
    cycle, *_ = scenario(make, db)
    snapshot = svc.freeze_snapshot(db, cycle, now=CLOSE)
    assert client.get(f"/exports/eligibility.csv?cycle={cycle.id}").status_code == 302  # sign in first
    auth.login(make.admin().email)
    for fmt in ("csv", "xlsx"):
        res = client.get(f"/exports/eligibility.{fmt}?cycle={cycle.id}")
        assert res.status_code == 200
        assert res.headers["X-Content-SHA256"] == hashlib.sha256(res.data).hexdigest()
        assert res.headers["X-Content-SHA256"] == snapshot.export_digests[f"eligibility.{fmt}"]
    res = client.get("/exports/eligibility.csv")
    assert res.status_code == 422


@pytest.mark.parametrize("role,visible", [("admin", True), ("operator", False)])
def test_index_lists_cycles_by_role(app, db, make, client, auth, role, visible):
    make.cycle(name="二〇二六年度评估", state="open")
    published = make.cycle(name="二〇二五年度评估", state="published")
    auth.login((make.admin() if role == "admin" else make.operator(make.platform())).email)
    html = text(client.get("/eligibility/?lang=zh"))
    assert ("二〇二六年度评估" in html) is visible
    assert published.name in html
    home = text(client.get("/home"))
    assert "/eligibility/" in home


def test_platform_page_has_download_buttons_for_its_lists(app, db, make, client, auth):
    platform = make.platform(code="CGT")
    make.project(platform, title_zh="细胞治疗项目")
    operator = make.operator(platform)
    auth.login(operator.email)
    html = text(client.get(f"/platforms/{platform.id}"))
    for name in ("projects", "milestones", "outcomes"):
        assert f"/exports/{name}.csv?platform={platform.id}" in html
        assert f"/exports/{name}.xlsx?platform={platform.id}" in html
    res = client.get(f"/exports/projects.csv?platform={platform.id}")
    assert res.status_code == 200 and res.data.startswith(b"\xef\xbb\xbf")
    assert "细胞治疗项目" in res.data.decode("utf-8")
    other = make.platform(code="ICMAT")
    assert f"/exports/projects.csv?platform={other.id}" not in text(client.get(f"/platforms/{other.id}"))
    assert client.get(f"/exports/projects.csv?platform={other.id}").status_code == 403


# --- the notice's words and dates (DESIGN §13): issuer, issue date, "as of" -----------------------------

def _footer(html: str) -> str:
    return html.split('<footer class="notice-footer', 1)[1].split("</footer>", 1)[0]


@pytest.mark.parametrize("lang,issuer,issued", [("zh", "上海市科学技术委员会", "发布日期：2026-11-13"),
                                                ("en", "Shanghai Municipal Science and Technology Commission",
                                                 "Issued on: 2026-11-13")])
def test_a_published_notice_names_its_issuer_and_its_issue_date(app, db, make, client, auth, lang, issuer, issued):
    from datetime import datetime, timezone

    cycle, p, *_ = scenario(make, db)
    svc.freeze_snapshot(db, cycle, now=CLOSE)
    cycle.published_at = datetime(2026, 11, 12, 17, 30, tzinfo=timezone.utc)  # 01:30 on the 13th in Shanghai
    publish(db, cycle)
    auth.login(make.operator(p["ALPHA"]).email)
    footer = _footer(text(client.get(f"/eligibility/cycles/{cycle.id}/notice?lang={lang}", expect=200)))
    assert f'<p class="notice-signature" id="notice-issuer">{issuer}</p>' in footer
    assert f'<p class="notice-date" id="notice-issued-on">{issued}</p>' in footer
    assert 'id="notice-as-of"' not in footer  # a frozen list is dated by its freeze and its issue
    assert "科学技术委员会" not in footer.replace(issuer, "") and "Science and Technology Commission" not in footer.replace(issuer, "")


def test_the_issuer_comes_from_the_settings(app, db, make, client, auth):
    app.config.update(ISSUER_NAME_ZH="浦东新区科技和经济委员会", ISSUER_NAME_EN="Pudong Science and Economy Commission")
    cycle, p, *_ = scenario(make, db)
    svc.freeze_snapshot(db, cycle, now=CLOSE)
    publish(db, cycle)
    auth.login(make.admin().email)
    zh = text(client.get(f"/eligibility/cycles/{cycle.id}/notice?lang=zh", expect=200))
    assert '<p class="notice-signature" id="notice-issuer">浦东新区科技和经济委员会</p>' in _footer(zh)
    assert "上海市科学技术委员会" not in zh
    assert '<div class="container-xxl">浦东新区科技和经济委员会 · 概念验证平台建设计划</div>' in zh  # the site's footer
    en = text(client.get(f"/eligibility/cycles/{cycle.id}/notice?lang=en", expect=200))
    assert '<p class="notice-signature" id="notice-issuer">Pudong Science and Economy Commission</p>' in _footer(en)
    assert "Pudong Science and Economy Commission · Concept-verification platform programme" in en
    assert "浦东" not in en
    # a cycle without a publish time (its state set by hand here) shows no issue date rather than a guess
    assert 'id="notice-issued-on"' not in _footer(zh)


@pytest.mark.parametrize("lang,as_of", [("zh", "截至 2026-11-16。"), ("en", "As of 2026-11-16.")])
def test_the_notice_of_an_open_cycle_is_as_of_today_not_the_windows_end(app, db, make, client, auth, lang, as_of):
    from platform_mgr import clock

    cycle, *_ = scenario(make, db, state="open")
    assert cycle.window_end < clock.today()  # the window (…2026-10-31) ended before today
    auth.login(make.admin().email)
    footer = _footer(text(client.get(f"/eligibility/cycles/{cycle.id}/notice?lang={lang}", expect=200)))
    assert f'<p id="notice-as-of">{as_of}</p>' in footer and clock.today().isoformat() in as_of
    assert cycle.window_end.isoformat() not in footer
    assert 'id="notice-issued-on"' not in footer  # not issued: a provisional list
