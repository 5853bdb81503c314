"""GET /api/v1/exports/{name}.{csv|xlsx}: permissions, bad input, frozen lists reproducible with
X-Content-SHA256, CSV with BOM and Chinese intact, XLSX without formulas."""
from __future__ import annotations

import hashlib
import io

import openpyxl
import pytest
from sqlmodel import select

from platform_mgr.models import EligibilitySnapshot
from platform_mgr.services import eligibility as svc

from ..services.test_eligibility import CLOSE, scenario
from ..services.test_eligibility_exports import EVIL, assert_no_formula, evil_scenario, read_csv

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_frozen_exports_are_byte_for_byte_reproducible(app, db, make, api, fmt):
    cycle, p, r, projects = scenario(make, db)
    snapshot = svc.freeze_snapshot(db, cycle, now=CLOSE)
    client = api(make.admin())
    url = f"/api/v1/exports/eligibility.{fmt}?cycle={cycle.id}"
    first = client.get(url)
    assert first.status_code == 200
    digest = first.headers["X-Content-SHA256"]
    assert digest == hashlib.sha256(first.data).hexdigest() == snapshot.export_digests[f"eligibility.{fmt}"]
    assert first.headers["Content-Disposition"] == f'attachment; filename="eligibility-cycle{cycle.id}.{fmt}"'

    # change the data after the close: the list and the bytes stay the same
    make.review(cycle, make.reviewer(), p["DELTA"], 100)
    p["ALPHA"].name_zh = "改名"
    db.add(p["ALPHA"])
    db.commit()
    second = client.get(url)
    assert second.data == first.data and second.headers["X-Content-SHA256"] == digest
    results = client.get(f"/api/v1/exports/results.{fmt}?cycle={cycle.id}")
    assert results.headers["X-Content-SHA256"] == snapshot.export_digests[f"results.{fmt}"]
    assert hashlib.sha256(results.data).hexdigest() == results.headers["X-Content-SHA256"]


def test_csv_has_bom_chinese_and_neutralised_cells(app, db, make, api):
    cycle, bad, good = evil_scenario(make, db)
    svc.freeze_snapshot(db, cycle, now=CLOSE)
    res = api(make.admin()).get(f"/api/v1/exports/eligibility.csv?cycle={cycle.id}")
    assert res.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert res.data.startswith(b"\xef\xbb\xbf")
    rows = read_csv(res.data)
    assert rows[0][0] == "排名 / Rank"
    assert rows[1][2] == "'" + EVIL[0] and rows[2][2] == "细胞与基因治疗概念验证平台"


def test_xlsx_has_no_formula_cells(app, db, make, api):
    cycle, bad, good = evil_scenario(make, db)
    svc.freeze_snapshot(db, cycle, now=CLOSE)
    res = api(make.admin()).get(f"/api/v1/exports/eligibility.xlsx?cycle={cycle.id}")
    assert res.headers["Content-Type"] == XLSX
    sheet = openpyxl.load_workbook(io.BytesIO(res.data)).worksheets[0]
    assert_no_formula(sheet)
    assert sheet["C2"].value == "'" + EVIL[0] and sheet.freeze_panes == "A2"


def test_missing_digest_is_recorded_on_first_download(app, db, make, api):
    """A snapshot that does not know an export's digest yet learns it from the first download."""
    cycle, *_ = scenario(make, db)
    snapshot = svc.freeze_snapshot(db, cycle, now=CLOSE)
    expected = snapshot.export_digests["results.csv"]
    snapshot.export_digests = {k: v for k, v in snapshot.export_digests.items() if k != "results.csv"}
    snapshot.seal = svc.snapshot_seal(snapshot, b"test-audit-key")  # sealed so, as the app did when it froze it
    db.add(snapshot)
    db.commit()
    res = api(make.admin()).get(f"/api/v1/exports/results.csv?cycle={cycle.id}", expect=200)
    assert res.headers["X-Content-SHA256"] == expected
    assert hashlib.sha256(res.data).hexdigest() == expected  # what was sent (read to the end: the stream closes)
    db.expire_all()
    learned = db.exec(select(EligibilitySnapshot)).one()
    assert learned.export_digests["results.csv"] == expected
    assert learned.seal == svc.snapshot_seal(learned, b"test-audit-key")  # resealed with what it learned


def test_public_variant_for_non_admins_once_published(app, db, make, api):
    cycle, p, *_ = scenario(make, db)
    snapshot = svc.freeze_snapshot(db, cycle, now=CLOSE)
    operator = make.operator(p["GAMMA"])
    url = f"/api/v1/exports/eligibility.csv?cycle={cycle.id}"
    assert api(operator).get(url).status_code == 403  # closed, not yet published
    assert api(make.reviewer()).get(f"/api/v1/exports/results.xlsx?cycle={cycle.id}").status_code == 403
    cycle.state = "published"
    db.add(cycle)
    db.commit()
    res = api(operator).get(url)
    assert res.status_code == 200
    assert res.headers["X-Content-SHA256"] == snapshot.export_digests["eligibility.public.csv"]
    header = read_csv(res.data)[0]
    assert not any(h.startswith(("R1", "逐条说明")) for h in header)  # no other platform's explanation
    assert res.headers["Content-Disposition"] == f'attachment; filename="eligibility-public-cycle{cycle.id}.csv"'


def test_open_cycle_exports_are_live_and_admin_only(app, db, make, api):
    cycle, p, *_ = scenario(make, db, state="open")
    with api(make.admin()).get(f"/api/v1/exports/eligibility.csv?cycle={cycle.id}") as res:
        assert res.status_code == 200 and "X-Content-SHA256" in res.headers
    assert api(make.operator(p["ALPHA"])).get(f"/api/v1/exports/eligibility.csv?cycle={cycle.id}").status_code == 403
    assert db.exec(select(EligibilitySnapshot)).first() is None  # reading an open cycle freezes nothing


@pytest.mark.parametrize("url,status,field", [
    ("/api/v1/exports/eligibility.csv", 422, "cycle"),
    ("/api/v1/exports/eligibility.csv?cycle=abc", 422, "cycle"),
    ("/api/v1/exports/projects.xlsx", 422, "platform"),
    ("/api/v1/exports/eligibility.csv?cycle=999", 404, None),
    ("/api/v1/exports/secrets.csv?cycle=1", 404, None),
    ("/api/v1/exports/projects.csv?platform=NOPE", 404, None),
    ("/api/v1/exports/projects.pdf?platform=1", 404, None),
])
def test_bad_requests(app, db, make, api, url, status, field):
    res = api(make.admin()).get(url)
    assert res.status_code == status
    if field:
        assert field in res.json["error"]["fields"]


def test_platform_exports_permissions(app, db, make, api):
    platform = make.platform(code="BCI")
    other = make.platform(code="SIPH")
    project = make.project(platform, title_zh="脑机接口项目")
    make.milestone(project)
    make.outcome(project)
    operator = make.operator(platform)
    for name in ("projects", "milestones", "outcomes"):
        for fmt in ("csv", "xlsx"):
            with api(operator).get(f"/api/v1/exports/{name}.{fmt}?platform={platform.id}") as own:
                assert own.status_code == 200, (name, fmt)
        assert api(operator).get(f"/api/v1/exports/{name}.csv?platform={other.id}").status_code == 403
        assert api(make.reviewer()).get(f"/api/v1/exports/{name}.csv?platform=BCI").status_code == 403
    by_code = api(operator).get("/api/v1/exports/projects.csv?platform=bci")
    assert by_code.status_code == 200 and "脑机接口项目".encode() in by_code.data
    assert by_code.headers["Content-Disposition"] == 'attachment; filename="projects-BCI.csv"'
    assert api(None).get(f"/api/v1/exports/projects.csv?platform={platform.id}").status_code == 401
