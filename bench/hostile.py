"""Hostile input (issue 16, part 3): how long one worker spends refusing it, against what it used to cost.

    .venv/bin/python bench/hostile.py          # median of 7 runs after one warm-up
    .venv/bin/python bench/hostile.py -n 11

A fresh SQLite database in a temporary folder with one platform, its operator (a bearer token), a project
and a milestone; the app in-process, driven by Flask's test client (one worker, no network). Measured:

* Office uploads (``POST /api/v1/milestones/<id>/evidence``): a docx of 180,000 empty entries (built with
  zipfile, ≈ 16 MB), a zip bomb declaring 500 MB, a real bomb (one entry of 2 MB of zeros), and, accepted
  for comparison, an ordinary docx and a PDF as large as the 180,000-entry file; then the type check alone
  (``services.evidence.sniff``) on the 180,000-entry file, and what the old check did with it
  (``zipfile.ZipFile(path).namelist()``);
* JSON bodies (``PATCH /api/v1/projects/<id>``): ``{"a":`` nested 500 and 100,000 deep, a body just over
  MAX_JSON_KB, an ordinary PATCH (for comparison), and the depth scan alone (``bounds.nesting_depth``) on its
  worst case, 1 MB of ``[]``.

Targets (2-core machine, one warm worker): the type check of the 180,000-entry file ≤ 10 ms (the upload of
its 16 MB as a whole is dominated by receiving and storing them: it is printed next to a PDF of the same
size); every other refusal ≤ 100 ms. They are printed next to the figures; the script exits 0 whether or not they hold
(measurements, not tests: tests/test_hostile_input.py asserts the answers, not the times).
"""
from __future__ import annotations

import argparse
import io
import shutil
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# name → target in milliseconds; None: reported only
TARGETS = {
    "upload: 180,000 empty entries (422)": None,
    "upload: a PDF of the same size (201)": None,
    "upload: zip bomb declaring 500 MB (422)": 100,
    "upload: 2 MB of zeros in one entry (422)": 100,
    "upload: ordinary docx (201)": None,
    "type check alone: 180,000 entries": 10,
    "old type check: zipfile.ZipFile().namelist(), 180,000 entries": None,
    "JSON: nested 500 deep (400)": 100,
    "JSON: nested 100,000 deep (400)": 100,
    "JSON: just over MAX_JSON_KB (400)": 100,
    "JSON: ordinary PATCH (200)": None,
    "depth scan alone: 1 MB of []": 100,
}

DOCX = (("[Content_Types].xml", b"<Types/>"), ("word/document.xml", b"<w:document/>"))


def _zip(entries, compression=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return buf.getvalue()


def _declaring(data: bytes, name: str, size: int) -> bytes:
    """``data`` whose central directory declares ``size`` unpacked bytes for entry ``name``."""
    import struct

    at = 0
    while True:
        at = data.index(b"PK\x01\x02", at)
        length = struct.unpack_from("<H", data, at + 28)[0]
        if data[at + 46: at + 46 + length] == name.encode():
            return data[:at + 24] + struct.pack("<L", size) + data[at + 28:]
        at += 46


def _timed(fn, n: int) -> dict:
    fn()  # warm
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return {"median_ms": statistics.median(times), "min_ms": min(times), "max_ms": max(times), "n": n}


def measure(n: int) -> tuple[dict, dict]:
    sys.path.insert(0, str(ROOT))
    from sqlmodel import SQLModel

    import platform_mgr.models  # noqa: F401
    from platform_mgr import create_app
    from platform_mgr.bounds import nesting_depth
    from platform_mgr.config import TestConfig
    from platform_mgr.db import build_engine, new_session
    from platform_mgr.services import evidence
    from tests.factories import Factory

    tmp = Path(tempfile.mkdtemp(prefix="pm-bench-hostile-"))
    url = f"sqlite:///{tmp / 'bench.sqlite3'}"
    engine = build_engine(url)
    SQLModel.metadata.create_all(engine)
    engine.dispose()

    class Cfg(TestConfig):
        SQLALCHEMY_DATABASE_URI = url
        INSTANCE_PATH = str(tmp)
        UPLOAD_DIR = str(tmp / "uploads")
        TESTING = False

    app = create_app(Cfg)
    results: dict[str, dict] = {}
    with app.app_context():
        with new_session(write=True) as s:
            make = Factory(s)
            platform = make.platform()
            operator = make.operator(platform)
            project = make.project(platform)
            milestone = make.milestone(project)
            token = make.token(operator)
            ids = {"project": project.id, "milestone": milestone.id, "version": project.version}
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}

    t0 = time.perf_counter()
    many = _zip([*DOCX, *((f"w/{i:05x}", b"") for i in range(180_000 - 2))], compression=zipfile.ZIP_STORED)
    built = time.perf_counter() - t0
    declared_bomb = _declaring(_zip([*DOCX, ("word/media/z.bin", b"\0" * 4096)]), "word/media/z.bin", 500 << 20)
    real_bomb = _zip([*DOCX, ("word/media/z.bin", b"\0" * (2 << 20))])
    ordinary = _zip([*DOCX, ("word/styles.xml", b"<w:styles/>" * 200)])
    facts = {"180,000-entry docx": f"{len(many) / 1e6:.1f} MB (built with zipfile in {built:.1f} s)",
             "declared bomb": f"{len(declared_bomb)} bytes", "real bomb": f"{len(real_bomb)} bytes"}

    def upload(data: bytes, status: int, name: str = "总结.docx"):
        def run():
            r = client.post(f"/api/v1/milestones/{ids['milestone']}/evidence", headers=headers,
                            data={"file": (io.BytesIO(data), name)})
            assert r.status_code == status, (r.status_code, r.get_data(as_text=True)[:300])
        return run

    results["upload: 180,000 empty entries (422)"] = _timed(upload(many, 422), n)
    results["upload: zip bomb declaring 500 MB (422)"] = _timed(upload(declared_bomb, 422), n)
    results["upload: 2 MB of zeros in one entry (422)"] = _timed(upload(real_bomb, 422), n)
    results["upload: ordinary docx (201)"] = _timed(upload(ordinary, 201), n)
    results["upload: a PDF of the same size (201)"] = _timed(
        upload(b"%PDF-1.4\n" + b"0" * len(many), 201, "报告.pdf"), n)

    path = tmp / "many.docx"
    path.write_bytes(many)

    def sniff():
        try:
            evidence.sniff(path, "many.docx")
        except evidence.Invalid:
            return
        raise AssertionError("the 180,000-entry file was accepted")

    def old_check():
        with zipfile.ZipFile(path) as archive:
            archive.namelist()

    results["type check alone: 180,000 entries"] = _timed(sniff, n)
    results["old type check: zipfile.ZipFile().namelist(), 180,000 entries"] = _timed(old_check, max(1, n // 3))

    def patch(body: bytes, status: int):
        def run():
            r = client.patch(f"/api/v1/projects/{ids['project']}", data=body, content_type="application/json",
                             headers=headers)
            assert r.status_code == status, (r.status_code, r.get_data(as_text=True)[:300])
            return r
        return run

    over = b'{"version": 1, "lead": "' + b"x" * (int(app.config["MAX_JSON_KB"]) * 1024) + b'"}'
    results["JSON: nested 500 deep (400)"] = _timed(patch(b'{"a":' * 500 + b"1" + b"}" * 500, 400), n)
    results["JSON: nested 100,000 deep (400)"] = _timed(patch(b'{"a":' * 100_000 + b"1" + b"}" * 100_000, 400), n)
    results["JSON: just over MAX_JSON_KB (400)"] = _timed(patch(over, 400), n)

    def ordinary_patch():  # each PATCH carries the version it read
        r = client.get(f"/api/v1/projects/{ids['project']}", headers=headers)
        patch(b'{"version": %d, "lead": "Wang"}' % r.get_json()["version"], 200)()

    results["JSON: ordinary PATCH (200)"] = _timed(ordinary_patch, n)
    worst = b"[]" * (512 * 1024)
    results["depth scan alone: 1 MB of []"] = _timed(lambda: nesting_depth(worst, 32), n)
    shutil.rmtree(tmp, ignore_errors=True)
    return results, facts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=7, help="timed runs per measurement (after one warm-up)")
    args = parser.parse_args()
    import os

    print(f"platform_mgr hostile-input benchmark: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, median of {args.n} runs after one warm-up")
    results, facts = measure(args.n)
    for name, fact in facts.items():
        print(f"   {name}: {fact}")
    print(f"   {'measurement':<62} {'median ms':>9} {'min':>9} {'max':>9} {'n':>3}  target")
    for name, target in TARGETS.items():
        r = results[name]
        verdict = "" if target is None else f"≤ {target} ms " + ("ok" if r["median_ms"] <= target else "MISSED")
        print(f"   {name:<62} {r['median_ms']:9.1f} {r['min_ms']:9.1f} {r['max_ms']:9.1f} {r['n']:>3}  {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
