"""Uploads, one check for the whole app (services/evidence.py: store_upload), on both upload routes:
milestone evidence and self-assessment attachments.

Over the limit → 413; the type is decided by the content (a PDF renamed .png, a program renamed .pdf,
an empty file → 422); nothing is written or left on disk when refused; files are stored under
generated names in UPLOAD_DIR, outside static/; downloads are attachments under the original name.
"""
from __future__ import annotations

import io
import zipfile
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlmodel import func, select

from platform_mgr.config import ROOT
from platform_mgr.models import AuditEvent, EvidenceFile

PDF = b"%PDF-1.4\n1 0 obj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _docx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return buf.getvalue()


@pytest.fixture
def target(request, make, db):
    """(operator, upload URL, download URL pattern) for one of the two upload routes."""
    platform = make.platform()
    operator = make.operator(platform)
    if request.param == "evidence":
        milestone = make.milestone(make.project(platform))
        return operator, f"/api/v1/milestones/{milestone.id}/evidence", "/api/v1/evidence/{id}"
    cycle = make.cycle(state="open", opened_at=datetime(2026, 11, 1, tzinfo=timezone.utc))
    return (operator, f"/api/v1/cycles/{cycle.id}/self-assessments/{platform.id}/attachments",
            "/api/v1/self-assessment-files/{id}")


BOTH = pytest.mark.parametrize("target", ["evidence", "self_assessment"], indirect=True)


def _post(api, user, url, data: bytes, name: str):
    return api(user).client.post(url, data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data",
                                 headers=api(user)._headers())


def _nothing_written(db, app):
    assert db.exec(select(func.count()).select_from(EvidenceFile)).one() == 0
    assert db.exec(select(func.count()).select_from(AuditEvent).where(AuditEvent.action.in_(("upload", "attach")))).one() == 0
    root = Path(app.config["UPLOAD_DIR"])
    assert not root.exists() or [p for p in root.rglob("*") if p.is_file()] == []  # no file left behind


@BOTH
def test_over_the_limit_is_413_and_nothing_is_kept(api, app, db, target):
    operator, url, _download = target
    app.config["MAX_UPLOAD_MB"] = 1
    res = _post(api, operator, url, PDF + b"x" * (1024 * 1024), "big.pdf")
    assert res.status_code == 413, res.get_json()
    assert res.get_json()["error"]["code"] == "too_large"
    _nothing_written(db, app)


@BOTH
@pytest.mark.parametrize("data,name", [
    (PDF, "picture.png"),                 # a PDF calling itself a PNG
    (b"MZ\x90\x00\x03" + b"\x00" * 60, "report.pdf"),  # a Windows program calling itself a PDF
    (b"\x7fELF\x02\x01\x01" + b"\x00" * 60, "data.txt"),  # a Linux program calling itself text
    (b"PK\x03\x04not really a zip", "sheet.xlsx"),  # a broken archive
    (b"plain words", "tool.exe"),        # text with a program's name
    (b"", "empty.pdf"),
])
def test_type_is_decided_by_content(api, app, db, target, data, name):
    operator, url, _download = target
    res = _post(api, operator, url, data, name)
    assert res.status_code == 422, res.get_json()
    assert "file" in res.get_json()["error"]["fields"]
    _nothing_written(db, app)


@BOTH
@pytest.mark.parametrize("data,name,content_type", [
    (PDF, "验收报告.pdf", "application/pdf"),
    (PNG, "照片.PNG", "image/png"),
    (_docx(), "总结.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("名单，第二列\n".encode(), "名单.csv", "text/csv"),
])
def test_accepted_files_are_stored_outside_static_and_served_as_attachments(api, app, db, target, data, name,
                                                                          content_type):
    operator, url, download = target
    res = _post(api, operator, url, data, name)
    assert res.status_code == 201, res.get_json()
    row = db.exec(select(EvidenceFile)).one()
    assert row.original_name == name and row.stored_name != name and "/" not in row.stored_name
    stored = [p for p in Path(app.config["UPLOAD_DIR"]).rglob(row.stored_name)]
    assert len(stored) == 1 and stored[0].read_bytes() == data
    assert (ROOT / "static") not in stored[0].resolve().parents
    got = api(operator).get(download.format(id=row.id))
    assert got.status_code == 200 and got.data == data
    assert got.headers["Content-Type"].startswith(content_type)
    disposition = got.headers["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert f"filename*=UTF-8''{quote(name)}" in disposition
    assert got.headers["X-Content-Type-Options"] == "nosniff"


def test_a_path_in_the_name_is_dropped(api, app, db, make):
    platform = make.platform()
    operator = make.operator(platform)
    milestone = make.milestone(make.project(platform))
    res = _post(api, operator, f"/api/v1/milestones/{milestone.id}/evidence", PDF, "../../static/evil.pdf")
    assert res.status_code == 201
    row = db.exec(select(EvidenceFile)).one()
    assert row.original_name == "evil.pdf"
    assert not (ROOT / "static" / "evil.pdf").exists()
