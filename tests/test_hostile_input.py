"""Hostile input is refused cheaply and in the usual shapes (issue 16, part 3 "bounded input everywhere").

- JSON bodies: a body nested deeper than MAX_JSON_DEPTH or larger than MAX_JSON_KB is refused before it is
  parsed, 400 ``invalid_body`` in the API's error format, on every kind of JSON endpoint (spectree's body
  validation and the API's own "is this JSON" check both read through the one guard, platform_mgr/bounds.py).
- Office uploads (docx, xlsx, pptx: ZIP archives) are judged from the central directory alone, never unpacked:
  more than MAX_ZIP_ENTRIES entries is refused from the end record before the directory is read (and
  zipfile.ZipFile, which parses all of it, is never constructed), a declared total over
  MAX_ZIP_UNCOMPRESSED_MB or a ratio over MAX_ZIP_RATIO (an entry, or the whole) is refused: 422 naming ``file``.
  How long the refusal takes is measured in bench/hostile.py, not asserted here.
- Path ids: a number beyond what an integer column holds (2**31 and more) matches no route, so every route,
  web and API, answers 404 for every method — never 405 because another method's rule shares the path, and
  never a query with an out-of-range integer (on PostgreSQL that is an error).
"""
from __future__ import annotations

import contextlib
import io
import os
import re
import struct
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlmodel import func, select

from platform_mgr import archives
from platform_mgr.bounds import nesting_depth
from platform_mgr.db import get_engine
from platform_mgr.inputs import MAX_INT
from platform_mgr.models import EvidenceFile
from platform_mgr.services import evidence as evidence_svc

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
BEYOND = (2**31, 2**63)


# --- JSON bodies ------------------------------------------------------------------------------------

def _deep(depth: int, opening: str = '{"a":', closing: str = "}") -> str:
    return opening * depth + "1" + closing * depth


@pytest.fixture
def json_endpoints(make):
    """(user, method, url) of JSON endpoints of each kind: a POST, a PATCH, two PUTs, and a POST without a body
    model (only the API's own JSON check reads its body)."""
    platform = make.platform()
    project = make.project(platform)
    admin, reviewer = make.admin(), make.reviewer()
    cycle = make.cycle(state="open", opened_at=datetime(2026, 11, 1, tzinfo=timezone.utc))
    make.assignment(cycle, reviewer, platform)
    return [
        (admin, "POST", "/api/v1/platforms"),
        (admin, "PATCH", f"/api/v1/projects/{project.id}"),
        (admin, "PUT", f"/api/v1/cycles/{cycle.id}/self-assessments/{platform.id}"),
        (reviewer, "PUT", f"/api/v1/cycles/{cycle.id}/reviews/{platform.id}"),
        (admin, "POST", "/api/v1/notifications/read-all"),
    ]


def _send(api, user, method, url, body: str | bytes):
    client = api(user)
    return client.client.open(url, method=method, data=body, content_type="application/json",
                              headers=client._headers())


def _refused(res, message: str, field: str) -> None:
    assert res.status_code == 400, res.get_data(as_text=True)[:300]
    assert res.get_json() == {"error": {"code": "invalid_body", "message": message, "fields": {"body": field}}}


@pytest.mark.parametrize("opening,closing", [('{"a":', "}"), ("[", "]"), ('{"a":[', "]}")])
def test_json_nested_500_deep_is_400_invalid_body_on_every_kind_of_endpoint(api, json_endpoints, opening, closing):
    for user, method, url in json_endpoints:
        _refused(_send(api, user, method, url, _deep(500, opening, closing)),
                 "请求体嵌套过深。", "数组和对象最多嵌套 32 层。")


def test_json_nested_far_too_deep_is_refused_in_english_too(api, json_endpoints):
    user, method, url = json_endpoints[1]
    client = api(user)
    res = client.client.open(url + "?lang=en", method=method, data=_deep(100_000), content_type="application/json",
                             headers=client._headers({"Accept-Language": "en"}))
    _refused(res, "The body is nested too deeply.", "At most 32 levels of arrays and objects.")


def test_json_at_the_depth_limit_is_parsed_and_validated_as_usual(api, json_endpoints, app):
    app.config["MAX_JSON_DEPTH"] = 3
    user, method, url = json_endpoints[1]  # PATCH a project
    res = _send(api, user, method, url, '{"version": 1, "title_zh": "新名称", "extra": {"a": [1]}}')  # 3 levels
    assert (res.status_code, res.get_json()["error"]["fields"]) == (422, {"extra": "未知字段。"})
    res = _send(api, user, method, url, '{"version": 1, "extra": {"a": [[1]]}}')  # 4 levels
    _refused(res, "请求体嵌套过深。", "数组和对象最多嵌套 3 层。")


def test_brackets_inside_strings_do_not_count(api, json_endpoints):
    user, method, url = json_endpoints[1]
    res = _send(api, user, method, url, '{"version": 1, "title_zh": "' + "[{" * 90 + '\\"' + "]}" * 5 + '"}')
    assert res.status_code == 200, res.get_json()
    assert res.get_json()["title_zh"].startswith("[{[{")


def test_a_json_body_over_the_size_limit_is_400_invalid_body_before_it_is_parsed(api, json_endpoints, app,
                                                                                  monkeypatch):
    import json

    parsed = []  # the request bodies the app parsed
    monkeypatch.setattr(app.json, "loads", lambda *a, **kw: parsed.append(1) or json.loads(*a, **kw))

    def send(*args):
        parsed.clear()
        res = _send(*args)
        return res, len(parsed)

    for user, method, url in json_endpoints:
        body = '{"name": "' + "x" * (1024 * 1024) + '"}'  # just over the default 1024 KB
        res, parses = send(api, user, method, url, body)
        assert parses == 0
        _refused(res, "请求体过大。", "最多 1024 KB。")
    app.config["MAX_JSON_KB"] = 2
    user, method, url = json_endpoints[1]
    res, parses = send(api, user, method, url, '{"version": 1, "lead": "' + "王" * 700 + '"}')  # 2.1 KB
    assert parses == 0
    _refused(res, "请求体过大。", "最多 2 KB。")
    res, parses = send(api, user, method, url, '{"version": 1, "lead": "' + "王" * 600 + '"}')  # 1.8 KB
    assert parses == 1
    assert res.status_code == 422 and set(res.get_json()["error"]["fields"]) == {"lead"}  # parsed: too long


@pytest.mark.parametrize("raw,depth", [
    (b"", 0), (b"1", 0), (b'"[[["', 0), (b"[]", 1), (b"{}", 1), (b'{"a": [1, {"b": null}]}', 3),
    (b"[[[]]]", 3), (b"[][][]", 1), (b"[[][[]]]", 3), (b'["]", "\\\\", "\\"["]', 1),
    (b"]]]]][[", 2),  # closing brackets without their opening ones: left to the parser
    (b'["abc', 1), (b'["abc\\', 1), (b"[" * 20 + b'"\\"]]]', 20),  # strings never closed
    (b"[" * 10_000, 33),  # counting stops past the limit
])
def test_nesting_depth(raw, depth):
    assert nesting_depth(raw, 32) == depth


def test_nesting_depth_is_linear_on_quotes_and_backslashes():
    raw = b'"' + b'\\"' * 200_000 + b"\\"  # every quote escaped, never closed: one string to the end
    assert nesting_depth(raw, 32) == 0


# --- path ids beyond the columns' range -----------------------------------------------------------------

def _rules_with_ids(app):
    return sorted({rule.rule for rule in app.url_map.iter_rules() if "<int:" in rule.rule})


def _with(rule: str, number: int) -> str:
    return re.sub(r"<int:[a-z_]+>", str(number), rule)


@pytest.fixture
def parameters_sent(app):
    """Every integer parameter the app sends to the database during the test."""
    seen: list[int] = []

    def record(_conn, _cursor, _statement, parameters, _context, _executemany):
        rows = parameters if isinstance(parameters, list) else [parameters]
        for row in rows:
            values = row.values() if isinstance(row, dict) else (row or ())
            seen.extend(v for v in values if isinstance(v, int) and not isinstance(v, bool))

    engine = get_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


@pytest.mark.parametrize("number", BEYOND)
def test_an_id_beyond_the_range_is_404_on_every_route_and_method(app, make, api, client, auth, parameters_sent,
                                                                   number):
    admin = make.admin()
    bearer = api(admin)
    auth.login(admin.email)
    rules = _rules_with_ids(app)
    assert len(rules) > 80  # web and API
    wrong = []
    for rule in rules:
        url = _with(rule, number)
        for method in METHODS:
            if rule.startswith("/api/"):
                res = bearer.client.open(url, method=method, json={}, headers=bearer._headers())
                got = (res.status_code, (res.get_json(silent=True) or {}).get("error", {}).get("code"))
                if got != (404, "not_found"):
                    wrong.append(f"{method} {url}: {got}")
            else:
                res = client.open(url, method=method, data={})
                if res.status_code != 404:
                    wrong.append(f"{method} {url}: {res.status_code}")
    assert wrong == []
    assert [v for v in parameters_sent if abs(v) > MAX_INT] == []


def test_the_largest_id_is_an_ordinary_not_found_and_other_methods_stay_405(make, api):
    bearer = api(make.admin())
    res = bearer.patch(f"/api/v1/projects/{MAX_INT}", json={"version": 1})
    assert (res.status_code, res.get_json()["error"]["code"]) == (404, "not_found")
    res = bearer.put(f"/api/v1/projects/{MAX_INT}", json={})
    assert (res.status_code, res.get_json()["error"]["code"]) == (405, "method_not_allowed")
    res = bearer.put(f"/api/v1/projects/{MAX_INT + 1}", json={})
    assert (res.status_code, res.get_json()["error"]["code"]) == (404, "not_found")


@pytest.mark.parametrize("path", ["/api/v1/projects/00000000002147483648", "/api/v1/projects/٣"])
def test_leading_zeros_do_not_hide_a_large_number_and_only_ascii_digits_are_ids(make, api, path):
    res = api(make.admin()).patch(path, json={"version": 1})
    assert (res.status_code, res.get_json()["error"]["code"]) == (404, "not_found")


def test_the_converter_pattern_matches_exactly_the_numbers_up_to_its_limit():
    from platform_mgr import at_most_pattern

    for limit in (0, 7, 10, 99, 305, 1000, MAX_INT):
        pattern = re.compile(at_most_pattern(limit) + r"\Z")
        probes = [*range(0, 2100), limit - 1, limit, limit + 1, limit * 10, 10 ** len(str(limit))]
        assert [n for n in probes if n >= 0 and bool(pattern.match(str(n))) != (n <= limit)] == [], limit
        assert pattern.match("000" + str(limit)) and not pattern.match("000" + str(limit + 1))


# --- Office uploads (ZIP archives) --------------------------------------------------------------------

DOCX_PARTS = (("[Content_Types].xml", b"<Types/>"), ("word/document.xml", b"<w:document/>"))


def _zip(entries, *, compression=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return buf.getvalue()


def _declaring(data: bytes, name: str, size: int) -> bytes:
    """``data`` with the central directory declaring ``size`` unpacked bytes for entry ``name``."""
    at = 0
    while True:
        at = data.index(b"PK\x01\x02", at)  # the next central directory entry
        name_length = struct.unpack_from("<H", data, at + 28)[0]
        if data[at + 46: at + 46 + name_length] == name.encode():
            return data[:at + 24] + struct.pack("<L", size) + data[at + 28:]
        at += 46


def _many_entries(count: int) -> bytes:
    """A docx-looking archive of ``count`` empty stored entries, written directly (zipfile takes seconds)."""
    local, central, offset = [], [], 0
    names = [b"[Content_Types].xml", b"word/document.xml", *(b"w/%05x" % i for i in range(count - 2))]
    for name in names:
        header = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 0, 0, 0x21, 0, 0, 0, len(name), 0) + name
        central.append(struct.pack("<4s4B4HL2L5H2L", b"PK\x01\x02", 20, 3, 20, 0, 0, 0, 0, 0x21, 0, 0, 0, len(name),
                                   0, 0, 0, 0, 0, offset) + name)
        local.append(header)
        offset += len(header)
    directory = b"".join(central)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, min(count, 0xFFFF), min(count, 0xFFFF), len(directory),
                      offset, 0)
    data = b"".join(local) + directory + end
    return data if count < 0xFFFF else _as_zip64(data, entries=count)  # more than 65,534: only ZIP64 can say so


def _as_zip64(data: bytes, *, entries: int | None = None) -> bytes:
    """``data`` (an archive without a comment) ending with a ZIP64 end record and locator, as large archives do."""
    _sig, _d, _cd, count, _total, cd_size, cd_offset, _c = struct.unpack("<4s4H2LH", data[-22:])
    entries = count if entries is None else entries
    end64 = struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, entries, entries, cd_size, cd_offset)
    locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, len(data) - 22, 1)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    return data[:-22] + end64 + locator + end


@pytest.fixture(scope="session")
def many_entries_zip() -> bytes:
    """180,000 empty entries in about 16 MB: within the upload limit, beyond MAX_ZIP_ENTRIES."""
    return _many_entries(180_000)


@pytest.fixture
def upload(make, api):
    """upload(data, name, route="evidence"|"self_assessment") through the API, as an operator of the platform."""
    platform = make.platform()
    operator = make.operator(platform)
    milestone = make.milestone(make.project(platform))
    cycle = make.cycle(state="open", opened_at=datetime(2026, 11, 1, tzinfo=timezone.utc))
    urls = {"evidence": f"/api/v1/milestones/{milestone.id}/evidence",
            "self_assessment": f"/api/v1/cycles/{cycle.id}/self-assessments/{platform.id}/attachments"}
    client = api(operator)

    def send(data: bytes, name: str = "总结.docx", route: str = "evidence"):
        return client.client.post(urls[route], data={"file": (io.BytesIO(data), name)},
                                  content_type="multipart/form-data", headers=client._headers())

    return send


@contextlib.contextmanager
def no_zipfile():
    """zipfile.ZipFile may not be constructed meanwhile: it would parse the whole central directory."""
    def refuse(*_a, **_kw):
        raise AssertionError("zipfile.ZipFile constructed for an upload")

    original, zipfile.ZipFile = zipfile.ZipFile, refuse
    try:
        yield
    finally:
        zipfile.ZipFile = original


def _refused_file(res, field: str, app, db) -> None:
    assert res.status_code == 422, res.get_data(as_text=True)[:300]
    assert res.get_json()["error"] == {"code": "invalid", "message": "不接受此压缩文件。", "fields": {"file": field}}
    assert db.exec(select(func.count()).select_from(EvidenceFile)).one() == 0
    root = Path(app.config["UPLOAD_DIR"])
    assert not root.exists() or [p for p in root.rglob("*") if p.is_file()] == []  # nothing left on disk


@pytest.mark.parametrize("route", ["evidence", "self_assessment"])
def test_an_archive_of_180000_entries_is_refused_from_its_end_record(upload, many_entries_zip, app, db,
                                                                     route):
    assert len(many_entries_zip) < 20 * 1024 * 1024  # within MAX_UPLOAD_MB: the entry count is what refuses it
    with no_zipfile():
        res = upload(many_entries_zip, route=route)
    _refused_file(res, "压缩文件内的文件超过 10000 个。", app, db)


def test_the_entry_count_is_judged_before_the_central_directory_is_read(upload, app, db):
    data = _zip(DOCX_PARTS)
    cd = data.index(b"PK\x01\x02")
    broken = data[:cd] + b"\xff" * (len(data) - 22 - cd) + struct.pack(  # a directory of garbage, counted 180,000
        "<4s4H2LH", b"PK\x05\x06", 0, 0, 0xFFFE, 0xFFFE, len(data) - 22 - cd, cd, 0)
    for hostile in (broken, _as_zip64(data, entries=180_000)):
        with no_zipfile():
            res = upload(hostile)
        _refused_file(res, "压缩文件内的文件超过 10000 个。", app, db)


def test_a_directory_holding_more_entries_than_its_end_record_declares_is_read_no_further_than_the_limit():
    data = _many_entries(50)
    lying = data[:-22] + struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 3, 3, *struct.unpack("<2L", data[-10:-2]), 0)
    with pytest.raises(archives.TooManyEntries) as raised:
        archives.contents(io.BytesIO(lying), len(lying), max_entries=10)
    assert raised.value.count == 11
    with pytest.raises(archives.NotAZip):  # within the limit, the disagreement itself is refused
        archives.contents(io.BytesIO(lying), len(lying), max_entries=100)


def test_a_zip_bomb_declaring_500_mb_is_refused_without_unpacking_it(upload, app, db):
    bomb = _declaring(_zip([*DOCX_PARTS, ("word/media/zeros.bin", b"\x00" * 4096)]), "word/media/zeros.bin",
                      500 * 1024 * 1024)
    with no_zipfile():
        res = upload(bomb)
    _refused_file(res, "压缩文件解压后超过 200 MB。", app, db)


def test_an_entry_compressed_more_than_100_to_1_is_refused(upload, app, db):
    bomb = _zip([*DOCX_PARTS, ("word/media/zeros.bin", b"\x00" * (2 * 1024 * 1024))])  # about 2 KB: 1000 to 1
    _refused_file(upload(bomb), "压缩文件中有文件解压后超过其压缩大小的 100 倍。", app, db)


def test_many_small_entries_compressed_more_than_100_to_1_together_are_refused(upload, app, db):
    parts = [(f"word/media/z{i}.bin", b"\x00" * (100 * 1024)) for i in range(30)]  # each under 1 MB
    _refused_file(upload(_zip([*DOCX_PARTS, *parts])), "压缩文件解压后超过其自身大小的 100 倍。", app, db)


def test_the_limits_are_the_settings(upload, app, db):
    app.config.update(MAX_ZIP_UNCOMPRESSED_MB=1, MAX_ZIP_ENTRIES=3, MAX_ZIP_RATIO=2)
    incompressible = [("word/media/noise.bin", os.urandom(1024 * 1024))]
    _refused_file(upload(_zip([*DOCX_PARTS, *incompressible], compression=zipfile.ZIP_STORED)),
                  "压缩文件解压后超过 1 MB。", app, db)
    _refused_file(upload(_zip([*DOCX_PARTS, ("a.xml", b""), ("b.xml", b"")])), "压缩文件内的文件超过 3 个。", app, db)
    text = [("word/media/text.xml", b"<p>abc</p>" * 120_000)]  # 1.2 MB of text, well over 2 to 1
    app.config.update(MAX_ZIP_UNCOMPRESSED_MB=2)
    _refused_file(upload(_zip([*DOCX_PARTS, *text])), "压缩文件中有文件解压后超过其压缩大小的 2 倍。", app, db)
    assert upload(_zip([*DOCX_PARTS, ("word/c.xml", b"<c/>")])).status_code == 201  # 3 entries: at the limit


def test_the_setting_defaults_are_the_services_defaults():
    from platform_mgr.config import Settings

    assert evidence_svc.zip_limits({n: f.default for n, f in Settings.model_fields.items()}) == evidence_svc.ZipLimits()


@pytest.mark.parametrize("data", [
    _zip(DOCX_PARTS),
    _as_zip64(_zip(DOCX_PARTS)),
    _zip([*DOCX_PARTS, ("word/media/photo.jpg", os.urandom(300 * 1024))], compression=zipfile.ZIP_STORED),
    _many_entries(10_000),  # at the limit
], ids=["docx", "zip64 end record", "with a picture", "10000 entries"])
def test_office_files_within_the_limits_are_accepted_without_zipfile(upload, data):
    with no_zipfile():
        res = upload(data)
    assert (res.status_code, res.get_json()["content_type"]) == (
        201, "application/vnd.openxmlformats-officedocument.wordprocessingml.document")


def test_the_directory_reader_agrees_with_zipfile():
    data = _zip([*DOCX_PARTS, ("word/名称.xml", b"<x/>" * 500)])
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        expected = [(i.filename, i.compress_size, i.file_size) for i in archive.infolist()]
    for variant in (data, _as_zip64(data), b"stub" * 100 + data):
        got = archives.contents(io.BytesIO(variant), len(variant), max_entries=10)
        assert [(e.name, e.compressed_size, e.size) for e in got] == expected
