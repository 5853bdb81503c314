"""The commission's programme overview."""
from datetime import date, timedelta


def test_programme_overview_shows_the_figures(client, auth, make):
    bci = make.platform(code="BCI", field="bci")
    sip = make.platform(code="SIPH", field="silicon_photonics")
    for stage in ("S0", "S1", "S1", "S3"):
        make.project(bci, stage=stage, trl_current=4)
    make.project(sip, stage="S2", status="killed")
    p = make.project(sip, stage="S4", status="transferred")
    make.outcome(p, kind="equity", amount=3_000_000, occurred_on=date.today() - timedelta(days=30))
    late = make.project(bci, stage="S2")
    make.milestone(late, title="逾期的验证报告", due_on=date.today() - timedelta(days=40), is_gate_criterion=True)
    admin = make.admin()
    auth.login(admin.email)
    response = client.get("/dashboards/programme")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "项目阶段分布" in html or "按阶段" in html
    assert "逾期的验证报告" in html
    assert 'data-chart="funnel"' in html and 'id="chart-data"' in html
    assert "/static/vendor/chartjs/chart.umd.min.js" in html
    import json
    import re

    charts = json.loads(re.search(r'<script type="application/json" id="chart-data">(.*?)</script>', html, re.S).group(1))
    funnel_total = sum(sum(ds["data"]) for ds in charts["funnel"]["datasets"])
    assert funnel_total == 6  # the killed project is not counted
    assert sum(charts["trl"]["datasets"][0]["data"]) == 5  # active projects with a TRL
    assert "TRL 4" in charts["trl"]["labels"]
    equity = next(ds for ds in charts["conversions"]["datasets"] if ds["label"] == "作价投资")
    assert sum(equity["data"]) == 300.0  # 万元
    en = client.get("/dashboards/programme?lang=en").get_data(as_text=True)
    assert "Programme overview" in en


def test_programme_overview_is_for_admins(client, auth, make):
    platform = make.platform()
    for user in (make.operator(platform), make.reviewer()):
        auth.login(user.email)
        assert client.get("/dashboards/programme").status_code == 403
        auth.logout()
    assert client.get("/dashboards/programme").status_code == 302


def test_empty_programme_says_what_to_do(client, auth, make):
    auth.login(make.admin().email)
    html = client.get("/dashboards/programme?lang=en").get_data(as_text=True)
    assert "No conversion recorded yet" in html
