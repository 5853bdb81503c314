"""The commission's programme overview."""
import re
from datetime import timedelta

from platform_mgr import clock


def test_programme_overview_shows_the_figures(client, auth, make):
    bci = make.platform(code="BCI", field="bci")
    sip = make.platform(code="SIPH", field="silicon_photonics")
    for stage in ("S0", "S1", "S1", "S3"):
        make.project(bci, stage=stage, trl_current=4)
    make.project(sip, stage="S2", status="killed")
    p = make.project(sip, stage="S4", status="transferred")
    make.outcome(p, kind="equity", amount=3_000_000, occurred_on=clock.today() - timedelta(days=30))
    late = make.project(bci, stage="S2")
    make.milestone(late, title="逾期的验证报告", due_on=clock.today() - timedelta(days=40), is_gate_criterion=True)
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


def _charts(html):
    import json
    import re

    return json.loads(re.search(r'<script type="application/json" id="chart-data">(.*?)</script>', html, re.S).group(1))


def test_platform_dashboard_charts_projects_by_stage_and_milestones(client, auth, make):
    bci = make.platform(code="BCI")
    other = make.platform(code="SIPH")
    for stage, status in (("S0", "active"), ("S1", "active"), ("S1", "on_hold"), ("S4", "transferred")):
        make.project(bci, stage=stage, status=status)
    make.project(other, stage="S2")  # another platform's project is not counted
    p = make.project(bci, stage="S2")
    make.milestone(p, stage="S2", due_on=clock.today() - timedelta(days=3))  # overdue
    make.milestone(p, stage="S2", due_on=clock.today() + timedelta(days=3))  # open, on time
    make.milestone(p, stage="S1", status="done", completed_on=clock.today() - timedelta(days=9),
                   due_on=clock.today() - timedelta(days=1))
    auth.login(make.operator(bci).email)
    html = client.get(f"/projects/platform/{bci.id}?lang=en").get_data(as_text=True)
    assert 'data-chart="stages"' in html and 'data-chart="milestones"' in html
    charts = _charts(html)
    stages = {ds["label"]: ds["data"] for ds in charts["stages"]["datasets"]}
    assert stages["Active"] == [1, 1, 1, 0, 0] and stages["On hold"] == [0, 1, 0, 0, 0]
    assert stages["Transferred"] == [0, 0, 0, 0, 1]
    milestones = {ds["label"]: ds["data"] for ds in charts["milestones"]["datasets"]}
    assert milestones["Overdue"] == [0, 0, 1, 0, 0]
    assert milestones["Open, on time"] == [0, 0, 1, 0, 0]
    assert milestones["Done"] == [0, 1, 0, 0, 0]
    zh = _charts(client.get(f"/projects/platform/{bci.id}?lang=zh").get_data(as_text=True))
    assert "已逾期" in [ds["label"] for ds in zh["milestones"]["datasets"]]


def test_platform_dashboard_of_another_platform_is_refused(client, auth, make):
    bci, other = make.platform(), make.platform()
    auth.login(make.operator(bci).email)
    assert client.get(f"/projects/platform/{other.id}").status_code == 403


def test_reviewer_dashboard_charts_progress_per_cycle(client, auth, make):
    reviewer = make.reviewer()
    p1, p2 = make.platform(), make.platform()
    first = make.cycle(name="第一轮", state="closed")
    second = make.cycle(name="第二轮", state="open")
    make.review(first, reviewer, p1, 80)
    make.review(first, reviewer, p2, 70)
    make.review(second, reviewer, p1, 80, submitted=False)
    make.assignment(second, reviewer, p2)
    auth.login(reviewer.email)
    html = client.get("/reviews/?lang=en").get_data(as_text=True)
    charts = _charts(html)["progress"]
    assert charts["labels"] == ["第一轮", "第二轮"] or sorted(charts["labels"]) == ["第一轮", "第二轮"]
    by_state = {ds["label"]: dict(zip(charts["labels"], ds["data"])) for ds in charts["datasets"]}
    assert by_state["Submitted"] == {"第一轮": 2, "第二轮": 0}
    assert by_state["Draft"]["第二轮"] == 1 and by_state["Not started"]["第二轮"] == 1


def test_reviewer_with_one_cycle_gets_no_chart(client, auth, make):
    reviewer = make.reviewer()
    make.review(make.cycle(state="open"), reviewer, make.platform(), 80, submitted=False)
    auth.login(reviewer.email)
    html = client.get("/reviews/").get_data(as_text=True)
    assert 'data-chart="progress"' not in html and "chart.umd.min.js" not in html


def test_the_cycles_in_progress_are_the_open_ones(client, auth, make):
    """A closed cycle's scoring is over: the overview's "in progress" lists open cycles only (评审中)."""
    make.cycle(name="2025年度概念验证平台绩效评估", state="closed")
    make.cycle(name="2027年度草稿周期", state="draft")
    make.cycle(name="2024年度已发布周期", state="published")
    make.cycle(name="2026年度概念验证平台绩效评估", state="open")
    auth.login(make.admin().email)
    html = client.get("/dashboards/programme", expect=200).get_data(as_text=True)
    section = html.split("进行中的评估周期", 1)[1].split("<h2", 1)[0]
    assert re.findall(r"<tr>\s*<td>([^<]*)</td>", section) == ["2026年度概念验证平台绩效评估"]
    for other in ("2025年度", "2027年度", "2024年度"):
        assert other not in html


def test_no_cycle_in_progress_says_so_though_a_closed_one_exists(client, auth, make):
    make.cycle(name="2025年度概念验证平台绩效评估", state="closed")
    auth.login(make.admin().email)
    html = client.get("/dashboards/programme?lang=en", expect=200).get_data(as_text=True)
    assert "No open review cycle." in html and "2025年度" not in html
