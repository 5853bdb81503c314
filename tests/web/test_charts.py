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

