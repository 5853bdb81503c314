"""Programme-wide exports (`?platform=all`): every platform's rows, streamed, for the commission only."""
import csv
import io
from datetime import date

from platform_mgr.exports.csv_writer import BOM


def _rows(data: bytes) -> list[list[str]]:
    assert data.startswith(BOM)
    return list(csv.reader(io.StringIO(data[len(BOM):].decode("utf-8"), newline="")))


def _programme(make):
    a, b = make.platform(code="AAA"), make.platform(code="BBB")
    op = make.operator(a, email="op-a@example.com")
    for platform, n in ((a, 2), (b, 3)):
        for k in range(n):
            make.milestone(make.project(platform, title_zh=f"{platform.code} 项目 {k}"), due_on=date(2026, 5, k + 1))
    return a, b, op


def test_admin_streams_every_platforms_milestones(app, make, client, auth):
    _programme(make)
    make.admin(email="boss@example.com")
    auth.login("boss@example.com")
    res = client.get("/exports/milestones.csv?platform=all", buffered=False)
    assert res.status_code == 200
    assert res.headers["Content-Disposition"] == 'attachment; filename="milestones-all.csv"'
    assert not res.is_sequence  # streamed chunk by chunk, never held whole
    rows = _rows(b"".join(res.response))
    res.close()
    assert len(rows) == 1 + 5
    assert {r[2][:3] for r in rows[1:]} == {"AAA", "BBB"}
    xlsx = client.get("/exports/projects.xlsx?platform=all")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"


def test_operator_may_not_export_the_whole_programme(app, make, client, auth, api):
    a, _b, op = _programme(make)
    auth.login("op-a@example.com")
    assert client.get("/exports/milestones.csv?platform=all").status_code == 403
    with client.get(f"/exports/milestones.csv?platform={a.id}") as own:
        assert own.status_code == 200  # their own still works
    res = api(op).get("/api/v1/exports/outcomes.csv?platform=all")
    assert res.status_code == 403
    assert res.get_json()["error"]["code"]
