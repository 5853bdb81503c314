"""The pictures of issue 17 item 8: the chart data each page embeds, in the numbers the page's tables show,
and only for the people who may see those numbers."""
from __future__ import annotations

import json
import re

from ..services.test_eligibility import CLOSE, scenario


def chart_data(html: str) -> dict | None:
    found = re.search(r'<script type="application/json" id="chart-data">(.*?)</script>', html, re.S)
    return json.loads(found.group(1)) if found else None


def test_explanation_charts_each_dimension_mean_against_its_r3_floor(app, db, make, client, auth):
    from platform_mgr.services import eligibility as svc

    cycle, p, *_ = scenario(make, db)
    svc.freeze_snapshot(db, cycle, now=CLOSE)
    auth.login(make.admin().email)
    html = client.get(f"/eligibility/cycles/{cycle.id}/platforms/{p['GAMMA'].id}?lang=en").get_data(as_text=True)
    spec = chart_data(html)["dimensions"]
    assert 'canvas data-chart="dimensions"' in html and "vendor/chartjs/chart.umd.min.js" in html
    assert spec["labels"] == ["Verification capability", "Service effectiveness", "Operating model"]
    mean, floor, maximum = (ds["data"] for ds in spec["datasets"])
    assert mean == [24.0, 36.0, 20.0]  # 80 % of 30 / 45 / 25 from every reviewer
    assert floor == [18.0, 27.0, 15.0] and maximum == [30.0, 45.0, 25.0]  # R3: 60 % of each maximum
    table = html.split('class="table table-sm small pm-dimensions"', 1)[1].split("</table>", 1)[0]
    assert "60% of its maximum" in table and "24.00" in table and "27.00" in table and "Reaches the floor" in table
    zh = client.get(f"/eligibility/cycles/{cycle.id}/platforms/{p['GAMMA'].id}?lang=zh").get_data(as_text=True)
    assert chart_data(zh)["dimensions"]["datasets"][1]["label"] == "下限"
    # a platform nobody scored has no means to draw
    unscored = client.get(f"/eligibility/cycles/{cycle.id}/platforms/{p['ZETA'].id}?lang=en").get_data(as_text=True)
    assert chart_data(unscored) is None and "data-chart" not in unscored and "chart.umd.min.js" not in unscored


def test_explanation_marks_a_dimension_below_its_floor(app, db, make, client, auth):
    platform = make.platform(code="LOW")
    cycle = make.cycle(state="open")
    for _i in range(3):
        make.review(cycle, make.reviewer(), platform, 50)
    auth.login(make.admin().email)
    html = client.get(f"/eligibility/cycles/{cycle.id}/platforms/{platform.id}?lang=en").get_data(as_text=True)
    spec = chart_data(html)["dimensions"]
    assert spec["datasets"][0]["data"] == [15.0, 22.5, 12.5]
    assert spec["datasets"][0]["colors"] == ["#dc3545"] * 3  # every bar below its floor
    assert html.count("Below the floor") == 3


def test_results_charts_are_the_breakdown_figures_for_admins_only(client, auth, make, db):
    platform = make.platform(code="BCI")
    reviewers = [make.reviewer(display_name=f"专家{i}") for i in range(3)]
    cycle = make.cycle(state="open")
    for r, pct in zip(reviewers, (90, 80, 40)):
        make.review(cycle, r, platform, pct)
    make.review(cycle, make.reviewer(display_name="未提交"), platform, 10, submitted=False)  # not counted
    admin = make.admin()
    auth.login(admin.email)
    html = client.get(f"/cycles/{cycle.id}/results?lang=en").get_data(as_text=True)
    charts = chart_data(html)
    assert 'data-chart="strip"' in html and 'data-chart="leniency"' in html
    strip = {ds["label"]: ds["data"] for ds in charts["strip"]["datasets"]}
    assert charts["strip"]["labels"] == ["BCI"]
    assert strip["Counted reviewer totals"] == [{"x": t, "y": "BCI"} for t in (40.0, 80.0, 90.0)]
    assert strip["Min"] == [{"x": 40.0, "y": "BCI"}] and strip["Max"] == [{"x": 90.0, "y": "BCI"}]
    assert strip["Total (trimmed mean)"] == [{"x": 70.0, "y": "BCI"}]
    leniency = charts["leniency"]
    assert leniency["labels"] == ["专家0", "专家1", "专家2"]
    assert leniency["datasets"][0]["data"] == [30.0, 15.0, -45.0]  # own total − the others' mean, as the table
    assert "+30.00" in html and "-45.00" in html

    auth.logout()
    auth.login(reviewers[0].email)
    assert client.get(f"/cycles/{cycle.id}/results").status_code == 403  # open: admins only
    cycle.state = "published"
    db.add(cycle)
    db.commit()
    public = client.get(f"/cycles/{cycle.id}/results?lang=en").get_data(as_text=True)
    assert "70.00" in public  # the totals are public once published; the per-reviewer figures are not
    assert chart_data(public) is None and "data-chart" not in public and "chart.umd.min.js" not in public
