"""The export registry and its writers: CSV with BOM streamed row by row, XLSX with no formula ever,
neutralised injection, and frozen lists that reproduce byte for byte."""
from __future__ import annotations

import csv
import io
import types
from datetime import date, datetime, timezone

import openpyxl
import pytest

from platform_mgr.exports import EXPORTS, snapshot_digests
from platform_mgr.exports.cells import neutralise
from platform_mgr.exports.columns import Column
from platform_mgr.exports.csv_writer import BOM, iter_csv
from platform_mgr.exports.xlsx_writer import write_xlsx
from platform_mgr.services import eligibility as svc

from .test_eligibility import CLOSE, IN_WINDOW, gate, reviews

EVIL = ['=HYPERLINK("http://evil.example","点我")', "+SUM(1,2)", "-2+3", "@cmd|' /C calc'!A0", "\t=1+1",
        "\r=1+1", "\x01x"]


@pytest.mark.parametrize("text,expected", [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@x", "'@x"), ("\t=x", "'\t=x"), ("\n", "'\n"),
    ("\x7fz", "'\x7fz"), ("正常的名字", "正常的名字"), ("a=1", "a=1"), ("", ""), (" =1", " =1"),
])
def test_neutralise(text, expected):
    assert neutralise(text) == expected


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(BOM)
    return list(csv.reader(io.StringIO(data[len(BOM):].decode("utf-8"), newline="")))


def read_xlsx(data: bytes):
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    return workbook, workbook.worksheets[0]


def assert_no_formula(sheet):
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f", (cell.coordinate, cell.value)
            if isinstance(cell.value, str):
                assert not cell.value.startswith(("=", "+", "-", "@")), (cell.coordinate, cell.value)


def test_writers_on_plain_columns():
    columns = [Column("name", "名称", "Name"), Column("n", "数量", "Count", "int"), Column("y", "金额（元）", "Amount", "yuan"),
               Column("w", "金额（万元）", "Amount (10,000 yuan)", "wan"), Column("p", "分数", "Points", "points"),
               Column("d", "日期", "Date", "date"), Column("b", "是否", "Flag", "bool")]
    rows = [["硅光平台", 3, 1_234_567, 1_234_567, 87.5, date(2026, 5, 1), True],
            [EVIL[0], None, 0, 0, None, None, False]]
    chunks = list(iter_csv(columns, rows))
    assert len(chunks) == 3  # header, then one chunk per row: streamable
    table = read_csv(b"".join(chunks))
    assert table[0] == ["名称 / Name", "数量 / Count", "金额（元） / Amount", "金额（万元） / Amount (10,000 yuan)",
                        "分数 / Points", "日期 / Date", "是否 / Flag"]
    assert table[1] == ["硅光平台", "3", "1234567", "123.46", "87.50", "2026-05-01", "是 / Yes"]
    assert table[2][0] == "'" + EVIL[0] and table[2][1:] == ["", "0", "0.00", "", "", "否 / No"]

    data = write_xlsx(columns, rows, sheet_name="测试", created=CLOSE)
    workbook, sheet = read_xlsx(data)
    assert_no_formula(sheet)
    assert sheet.freeze_panes == "A2"
    assert sheet["A1"].value == "名称 / Name" and sheet["A1"].font.b
    assert sheet["A3"].value == "'" + EVIL[0]
    assert sheet["C2"].value == 1_234_567 and sheet["C2"].number_format == "#,##0"
    assert sheet["D2"].value == pytest.approx(123.4567) and sheet["D2"].number_format == "#,##0.00"
    assert sheet["E2"].value == 87.5 and sheet["E2"].number_format == "0.00"
    assert sheet["F2"].value == datetime(2026, 5, 1) and sheet["F2"].number_format == "yyyy-mm-dd"
    assert workbook.properties.created == datetime(2026, 12, 1, 2, 0)
    assert write_xlsx(columns, rows, sheet_name="测试", created=CLOSE) == data  # same input, same bytes


def evil_scenario(make, db):
    cycle = make.cycle(state="closed", budget=3_000_000)
    r = [make.reviewer() for _ in range(3)]
    bad = make.platform(code="BAD", name_zh=EVIL[0], name_en=EVIL[1], host_institution=EVIL[3])
    good = make.platform(code="GOOD", name_zh="细胞与基因治疗概念验证平台", name_en="CGT PoC Centre")
    reviews(make, cycle, bad, r, [90, 90, 90])
    reviews(make, cycle, good, r, [80, 80, 80])
    for p in (bad, good):
        gate(db, make.project(p), IN_WINDOW)
    return cycle, bad, good


def test_eligibility_exports_of_a_frozen_cycle(app, db, make):
    cycle, bad, good = evil_scenario(make, db)
    snapshot = svc.freeze_snapshot(db, cycle, now=CLOSE)
    result = svc.get_eligibility(db, cycle)
    table = EXPORTS["eligibility"].from_result(result)
    assert table.reproducible and table.key("csv") == "eligibility.csv"

    rows = read_csv(b"".join(table.csv_chunks()))
    header = rows[0]
    assert header[:3] == ["排名 / Rank", "平台代码 / Code", "平台名称 / Platform (Chinese)"]
    assert "资助金额（万元） / Award (10k yuan)" in header and "逐条说明（中文） / Explanation (Chinese)" in header
    first = dict(zip(header, rows[1]))
    assert first["平台名称 / Platform (Chinese)"] == "'" + EVIL[0]
    assert first["平台英文名称 / Platform (English)"] == "'" + EVIL[1]
    assert first["依托单位 / Host institution"] == "'" + EVIL[3]
    assert first["资助结论 / Verdict"] == "符合资助条件 / Eligible" and first["资助档次 / Tier"] == "A 档 / Tier A"
    assert first["资助金额（元） / Award (yuan)"] == "3000000" and first["资助金额（万元） / Award (10k yuan)"] == "300.00"
    assert first["R6 诚信 / R6 Integrity"] == "通过 / Passed"
    assert first["逐条说明（中文） / Explanation (Chinese)"].startswith("R1：有效评审 3 份")
    second = dict(zip(header, rows[2]))
    assert second["平台名称 / Platform (Chinese)"] == "细胞与基因治疗概念验证平台"  # Chinese intact
    assert second["资助金额（元） / Award (yuan)"] == "0"  # budget spent by BAD (A cap 5M > 3M budget)

    for variant in (table, EXPORTS["eligibility"].from_result(result, public=True), EXPORTS["results"].from_result(result)):
        workbook, sheet = read_xlsx(variant.xlsx_bytes())
        assert_no_formula(sheet)
        assert sheet.freeze_panes == "A2"
        assert workbook.properties.created == datetime(2026, 12, 1, 2, 0)
        assert sheet["C2"].value == "'" + EVIL[0]
        # reproducible: the digests recorded at the freeze are those of the bytes written now
        for fmt in ("csv", "xlsx"):
            assert variant.sha256(fmt) == snapshot.export_digests[variant.key(fmt)]

    public = EXPORTS["eligibility"].from_result(result, public=True)
    public_header = read_csv(b"".join(public.csv_chunks()))[0]
    assert not any(h.startswith(("R1", "逐条说明")) for h in public_header)
    _, sheet = read_xlsx(table.xlsx_bytes())
    award = [c.value for c in sheet[1]].index("资助金额（元） / Award (yuan)") + 1
    assert sheet.cell(2, award).value == 3_000_000 and sheet.cell(2, award).number_format == "#,##0"
    assert sheet.cell(2, award + 1).value == 300 and sheet.cell(2, award + 1).number_format == "#,##0.00"
    assert snapshot_digests(svc.get_eligibility(db, cycle)) == snapshot.export_digests


def test_results_export_columns(app, db, make):
    cycle, bad, good = evil_scenario(make, db)
    svc.freeze_snapshot(db, cycle, now=CLOSE)
    rows = read_csv(b"".join(EXPORTS["results"].from_result(svc.get_eligibility(db, cycle)).csv_chunks()))
    record = dict(zip(rows[0], rows[2]))
    assert record["平台代码 / Code"] == "GOOD" and record["总分（截尾均值） / Total (trimmed mean)"] == "80.00"
    assert record["服务成效均分 / Service effectiveness mean"] == "36.00" and record["有效评审数 / Counted reviews"] == "3"


def test_platform_exports_stream_live_data_neutralised(app, db, make):
    platform = make.platform(code="BCI", name_zh="脑机接口平台")
    other = make.platform(code="OTHER")
    project = make.project(platform, title_zh=EVIL[2], title_en="Neural =x", stage="S2", budget=2_500_000)
    make.project(other, title_zh="别的平台的项目")
    make.milestone(project, title=EVIL[4], due_on=date(2026, 3, 1), is_gate_criterion=True)
    make.milestone(project, title="已完成", due_on=date(2026, 3, 2), status="done", completed_on=date(2026, 3, 1))
    make.outcome(project, counterparty=EVIL[3], amount=1_500_000, kind="equity")
    today = date(2026, 4, 1)

    # a transactional read session, as in a request (server-side cursors need a transaction on PostgreSQL)
    from platform_mgr.db import get_engine, new_session

    with app.test_request_context("/"), new_session(get_engine(app.config["SQLALCHEMY_DATABASE_URI"]),
                                                    write=False) as session:
        projects = EXPORTS["projects"].table(session, platform, today=today)
        chunks = projects.csv_chunks()
        assert isinstance(chunks, types.GeneratorType)
        rows = read_csv(b"".join(chunks))
        assert len(rows) == 2  # the header and this platform's one project
        assert rows[1][1] == "'" + EVIL[2] and rows[1][7] == "S2 概念验证 / S2 Concept verification"
        assert rows[1][11:13] == ["2500000", "250.00"]
        _, sheet = read_xlsx(projects.xlsx_bytes())
        assert_no_formula(sheet)
        assert sheet["B2"].value == "'" + EVIL[2]

        milestones = EXPORTS["milestones"].table(session, platform, today=today)
        rows = read_csv(b"".join(milestones.csv_chunks()))
        assert rows[1][4] == "'" + EVIL[4] and rows[1][6] == "是 / Yes" and rows[1][10] == "31"
        assert rows[2][8] == "已完成 / Done" and rows[2][10] == "0"
        _, sheet = read_xlsx(milestones.xlsx_bytes())
        assert_no_formula(sheet)

        outcomes = EXPORTS["outcomes"].table(session, platform, today=today)
        rows = read_csv(b"".join(outcomes.csv_chunks()))
        assert rows[1][3:7] == ["作价投资 / Equity investment", "'" + EVIL[3], "1500000", "150.00"]
        _, sheet = read_xlsx(outcomes.xlsx_bytes())
        assert_no_formula(sheet)
        assert not projects.reproducible  # live data carries no recorded digest


def test_registry_has_the_five_exports():
    assert set(EXPORTS) == {"eligibility", "results", "projects", "milestones", "outcomes"}
    assert {n for n, e in EXPORTS.items() if e.scope == "cycle"} == {"eligibility", "results"}


def test_a_list_frozen_before_the_glossary_keeps_its_headers_and_its_digests(app, db, make, monkeypatch):
    """Snapshot format 1 (frozen before docs/glossary.md): its exports are still written with the headers it was
    frozen with, so the SHA-256 recorded at its close still holds; a new freeze (format 2) uses the glossary's."""
    from platform_mgr.services import integrity

    old_cycle, *_ = evil_scenario(make, db)
    monkeypatch.setattr(svc, "FORMAT", 1)
    old = svc.freeze_snapshot(db, old_cycle, now=CLOSE)
    monkeypatch.setattr(svc, "FORMAT", 2)
    old_result = svc.get_eligibility(db, old_cycle)
    assert old_result.document["format"] == 1
    header = read_csv(b"".join(EXPORTS["eligibility"].from_result(old_result).csv_chunks()))[0]
    assert "建设方式 / Origin" in header and "资助金额（万元） / Award (10,000 yuan)" in header
    assert "有效评审份数 / Counted reviews" in header and "R1 有效评审份数 / R1 Minimum reviews" in header
    assert snapshot_digests(old_result) == old.export_digests
    db.commit()
    report = integrity.verify_all(db, key=b"test-audit-key")
    assert report.problems == [] and report.exports == 6

    fresh = svc.build_document(old_cycle, old_result.inputs(), old_result.rules, old_result.budget)
    assert fresh["format"] == 2
    new_header = read_csv(b"".join(EXPORTS["eligibility"].from_result(
        svc.EligibilityResult(cycle_id=old_cycle.id, document=fresh, provisional=True)).csv_chunks()))[0]
    assert "组建方式 / Origin" in new_header and "有效评审数 / Counted reviews" in new_header
    assert "资助金额（万元） / Award (10k yuan)" in new_header and "R1 有效评审数 / R1 Minimum reviews" in new_header
