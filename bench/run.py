"""Benchmark at programme scale (issue 9): one warm worker against `seed-demo --scale large`.

    .venv/bin/python bench/run.py                      # SQLite and PostgreSQL, 7 runs each
    .venv/bin/python bench/run.py --engine sqlite -n 11
    .venv/bin/python bench/run.py --engine postgres --pg postgresql+psycopg://postgres@127.0.0.1:5432/test

For each engine it builds a FRESH database (a new SQLite file in a temporary folder; a new PostgreSQL
database `pm_bench_<pid>` created next to the one named by --pg and dropped afterwards), runs
`flask db upgrade` and `flask seed-demo --scale large` in a subprocess, and then measures in another
subprocess (one worker: the app in-process, driven by Flask's test client, warmed by one request of
each kind before timing). Each figure is the median of N runs (plus min and max).

Measured: eligibility of the open cycle (live: the service call, the API and the page) and of the
closed cycle (frozen snapshot: the same three), with the ratio of the live service call to a
hand-written SQL aggregate over the same rows (scores, milestones, gate decisions) on the same
database in the same run; a paginated project list page; the dashboards (programme overview, an
operator's platform dashboard, the reviewer's page); `milestones.csv` of every row (all 60,000:
time, and the worker's peak Python memory while streaming compared with one platform's 1,000 rows
and with the size of the output); XLSX exports (one platform's milestones, the closed cycle's
eligibility list, and once all 60,000 milestones); a scheduler tick (`jobs.tasks.run_tick`, the first
one — which sends the reminders due — and then repeated ones).

Targets (2-core machine, SQLite, one warm worker) are printed next to the figures; the script exits 0
whether or not they hold (they are measurements, not tests).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

# name → target in milliseconds (SQLite); None: reported only
TARGETS = {
    "eligibility open (live): service": 800,
    "eligibility open (live): API": 800,
    "eligibility open (live): page": 800,
    "eligibility closed (snapshot): service": 100,
    "eligibility closed (snapshot): API": 100,
    "eligibility closed (snapshot): page": 100,
    "hand-written SQL aggregate (open cycle)": None,
    "project list page (platform, page 3 of 4)": 150,
    "project list API (platform, page 2)": 150,
    "dashboard: programme overview (admin)": 300,
    "dashboard: platform (operator)": 300,
    "dashboard: my reviews (reviewer)": 300,
    "home (admin)": 300,
    "milestones.csv, all 60,000 rows (admin)": 6000,
    "milestones.csv, one platform (1,000 rows)": None,
    "milestones.xlsx, one platform (1,000 rows)": None,
    "milestones.xlsx, all 60,000 rows (admin), one run": None,
    "eligibility.xlsx, closed cycle": None,
    "scheduler tick: first (sends the reminders due)": 5000,
    "scheduler tick: repeated": 5000,
}


# ---------------------------------------------------------------------------------------------------
# building a fresh database


def _flask(env: dict, *args: str) -> str:
    out = subprocess.run([PY, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True)
    return out.stdout


def _pg_admin(pg_url: str):
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(pg_url)
    return psycopg.connect(host=url.host or "127.0.0.1", port=url.port or 5432, user=url.username or "postgres",
                           password=url.password, dbname=url.database or "postgres", autocommit=True), url


def create_database(engine: str, workdir: Path, pg_url: str) -> tuple[str, callable]:
    if engine == "sqlite":
        path = workdir / "bench.sqlite3"
        return f"sqlite:///{path}", lambda: None
    name = f"pm_bench_{os.getpid()}"
    conn, url = _pg_admin(pg_url)
    with conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop():
        c, _ = _pg_admin(pg_url)
        with c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return url.set(database=name).render_as_string(hide_password=False), drop


def build(engine: str, workdir: Path, pg_url: str) -> tuple[str, callable, dict]:
    url, drop = create_database(engine, workdir, pg_url)
    env = dict(os.environ, DATABASE_URL=url, INSTANCE_PATH=str(workdir / "instance"), PYTHONPATH=str(ROOT))
    started = time.perf_counter()
    _flask(env, "db", "upgrade")
    migrated = time.perf_counter()
    out = _flask(env, "seed-demo", "--scale", "large")
    seeded = time.perf_counter()
    return url, drop, {"migrate_s": migrated - started, "seed_s": seeded - migrated, "seed_summary": out.splitlines()[0]}


# ---------------------------------------------------------------------------------------------------
# measuring (runs in its own process: python bench/run.py --measure URL)


def _timed(fn, n: int, warm: bool = True) -> dict:
    if warm:
        fn()  # warm: templates, translations, caches, statement cache
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return {"median_ms": statistics.median(times), "min_ms": min(times), "max_ms": max(times), "n": n}


def _rss_kb() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def measure(url: str, n: int, workdir: str) -> dict:
    os.environ["DATABASE_URL"] = url
    os.environ["INSTANCE_PATH"] = str(Path(workdir) / "instance")
    sys.path.insert(0, str(ROOT))
    import tracemalloc

    from sqlalchemy import text
    from sqlmodel import select

    from platform_mgr import create_app
    from platform_mgr.db import get_engine, new_session
    from platform_mgr.models import Assignment, Platform, ReviewCycle, User
    from platform_mgr.services import eligibility as es
    from platform_mgr.services import users as user_service
    from platform_mgr.services.seed import DEMO_PASSWORD

    app = create_app({"DATABASE_URL": url, "SQLALCHEMY_DATABASE_URI": url, "TESTING": False,
                      "WTF_CSRF_ENABLED": False, "SERVER_NAME": None})
    results: dict[str, dict] = {}
    with app.app_context():
        with new_session() as s:
            open_cycle = s.exec(select(ReviewCycle).where(ReviewCycle.state == "open")).one()
            closed_cycle = s.exec(select(ReviewCycle).where(ReviewCycle.state.in_(("closed", "published")))).one()
            bci = s.exec(select(Platform).where(Platform.code == "BCI")).one()
            reviewer_id = s.exec(select(Assignment.reviewer_id).where(Assignment.cycle_id == open_cycle.id)
                                 .order_by(Assignment.reviewer_id)).first()
            reviewer = s.get(User, reviewer_id)
            admin = s.exec(select(User).where(User.email == "admin@example.com")).one()
            _row, token = user_service.issue_token(s, None, admin, label="bench")
            s.commit()
            ids = dict(open=open_cycle.id, closed=closed_cycle.id, bci=bci.id, reviewer=reviewer.email,
                       window_start=open_cycle.window_start, window_end=open_cycle.window_end)

        def client_for(email):
            c = app.test_client()
            r = c.post("/login", data={"email": email, "password": DEMO_PASSWORD})
            assert r.status_code in (302, 303), (email, r.status_code)
            return c

        admin_c = client_for("admin@example.com")
        op_c = client_for("op-bci@example.com")
        rev_c = client_for(ids["reviewer"])
        api_headers = {"Authorization": f"Bearer {token}"}

        def get(c, path, **kw):
            def run():
                r = c.get(path, **kw)
                assert r.status_code == 200, (path, r.status_code, r.get_data(as_text=True)[:300])
                return r
            return run

        def service(cycle_id):
            def run():
                with new_session() as s:
                    cycle = s.get(ReviewCycle, cycle_id)
                    result = es.get_eligibility(s, cycle)
                    assert result.document["rows"]
            return run

        engine = get_engine()
        from platform_mgr import clock

        as_of = min(ids["window_end"], clock.today())
        hand_sql = [
            text("""SELECT a.platform_id, COUNT(DISTINCT a.id), SUM(s.points_tenths)
                    FROM assignment a JOIN score s ON s.assignment_id = a.id
                    WHERE a.cycle_id = :cycle AND a.review_state = 'submitted' AND NOT a.conflicted
                    GROUP BY a.platform_id"""),
            text("""SELECT p.platform_id,
                           MIN(CASE WHEN m.is_gate_criterion AND m.due_on < :as_of AND m.status <> 'done'
                                    THEN m.due_on END),
                           SUM(CASE WHEN m.due_on >= :start THEN 1 ELSE 0 END),
                           SUM(CASE WHEN m.due_on >= :start AND m.status = 'done'
                                     AND m.completed_on <= m.due_on THEN 1 ELSE 0 END)
                    FROM milestone m JOIN project p ON p.id = m.project_id
                    WHERE p.status NOT IN ('killed', 'withdrawn') AND m.status <> 'waived' AND m.due_on <= :as_of
                    GROUP BY p.platform_id"""),
            text("""SELECT p.platform_id, COUNT(*) FROM gate_review g JOIN project p ON p.id = g.project_id
                    WHERE g.decision IN ('go', 'conditional_go') AND g.decided_at >= :t0 AND g.decided_at < :t1
                    GROUP BY p.platform_id"""),
            text("SELECT id, code, name_zh, status, integrity_flag FROM platform ORDER BY code"),
        ]
        from platform_mgr.queries.eligibility import window_bounds_utc

        t0, t1 = window_bounds_utc(ids["window_start"], as_of)
        params = {"cycle": ids["open"], "as_of": as_of, "start": ids["window_start"], "t0": t0, "t1": t1}

        def hand_written():
            with engine.connect() as conn:
                for stmt in hand_sql:
                    conn.execute(stmt, params).all()

        oc, cc = ids["open"], ids["closed"]
        results["eligibility open (live): service"] = _timed(service(oc), n)
        results["eligibility open (live): API"] = _timed(get(admin_c, f"/api/v1/cycles/{oc}/eligibility",
                                                             headers=api_headers), n)
        results["eligibility open (live): page"] = _timed(get(admin_c, f"/eligibility/cycles/{oc}"), n)
        results["eligibility closed (snapshot): service"] = _timed(service(cc), n)
        results["eligibility closed (snapshot): API"] = _timed(get(admin_c, f"/api/v1/cycles/{cc}/eligibility",
                                                                   headers=api_headers), n)
        results["eligibility closed (snapshot): page"] = _timed(get(admin_c, f"/eligibility/cycles/{cc}"), n)
        results["hand-written SQL aggregate (open cycle)"] = _timed(hand_written, n)
        results["project list page (platform, page 3 of 4)"] = _timed(get(admin_c, f"/platforms/{ids['bci']}?page=3"), n)
        results["project list API (platform, page 2)"] = _timed(
            get(admin_c, f"/api/v1/platforms/{ids['bci']}/projects?page=2", headers=api_headers), n)
        results["dashboard: programme overview (admin)"] = _timed(get(admin_c, "/dashboards/programme"), n)
        results["dashboard: platform (operator)"] = _timed(get(op_c, f"/projects/platform/{ids['bci']}"), n)
        results["dashboard: my reviews (reviewer)"] = _timed(get(rev_c, "/reviews/"), n)
        results["home (admin)"] = _timed(get(admin_c, "/home"), n)

        def stream(path, c=admin_c):
            """GET a streamed download, consume it chunk by chunk; bytes and rows written."""
            r = c.get(path, buffered=False)
            assert r.status_code == 200, (path, r.status_code)
            size = lines = 0
            for chunk in r.response:
                size += len(chunk)
                lines += chunk.count(b"\n")
            r.close()
            return size, lines

        csv_all = "/exports/milestones.csv?platform=all"
        csv_one = f"/exports/milestones.csv?platform={ids['bci']}"
        results["milestones.csv, all 60,000 rows (admin)"] = _timed(lambda: stream(csv_all), max(3, n // 2))
        results["milestones.csv, one platform (1,000 rows)"] = _timed(lambda: stream(csv_one), n)
        memory = {}
        for label, path in (("one platform", csv_one), ("all", csv_all)):
            rss0 = _rss_kb()
            tracemalloc.start()
            size, lines = stream(path)
            _cur, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            memory[label] = {"rows": lines - 1, "bytes": size, "tracemalloc_peak_bytes": peak,
                             "rss_growth_kb": _rss_kb() - rss0}
        results["milestones.xlsx, one platform (1,000 rows)"] = _timed(
            get(admin_c, f"/exports/milestones.xlsx?platform={ids['bci']}"), n)
        results["milestones.xlsx, all 60,000 rows (admin), one run"] = _timed(
            get(admin_c, "/exports/milestones.xlsx?platform=all"), 1, warm=False)
        results["eligibility.xlsx, closed cycle"] = _timed(get(admin_c, f"/exports/eligibility.xlsx?cycle={cc}"), n)

        from datetime import timedelta

        from platform_mgr import clock
        from platform_mgr.jobs.tasks import run_tick

        base = clock.now().replace(microsecond=0)
        tick_times = []
        summaries = []
        for k in range(max(3, n // 2) + 1):
            t = time.perf_counter()
            report = run_tick(base + timedelta(minutes=k))
            tick_times.append((time.perf_counter() - t) * 1000)
            assert report.leader and not report.errors, report.errors
            summaries.append(report.results)
        results["scheduler tick: first (sends the reminders due)"] = {
            "median_ms": tick_times[0], "min_ms": tick_times[0], "max_ms": tick_times[0], "n": 1}
        rest = tick_times[1:]
        results["scheduler tick: repeated"] = {"median_ms": statistics.median(rest), "min_ms": min(rest),
                                               "max_ms": max(rest), "n": len(rest)}
        with engine.connect() as conn:
            notes = conn.execute(text("SELECT COUNT(*) FROM notification")).scalar()
    return {"results": results, "memory": memory, "notifications_after_ticks": notes,
            "first_tick": {k: v for k, v in summaries[0].items()} if summaries else {}}


# ---------------------------------------------------------------------------------------------------
# reporting


def _fmt_ms(ms: float) -> str:
    return f"{ms:9.1f}"


def report(engine: str, build_info: dict, data: dict) -> list[str]:
    res = data["results"]
    lines = [f"== {engine}: {build_info['seed_summary']}",
             f"   fresh database: migrate {build_info['migrate_s']:.1f} s, seed-demo --scale large "
             f"{build_info['seed_s']:.1f} s",
             f"   {'measurement':<50} {'median ms':>9} {'min':>9} {'max':>9} {'n':>3}  target (SQLite)"]
    for name, target in TARGETS.items():
        r = res.get(name)
        if r is None:
            continue
        verdict = ""
        if target is not None:
            verdict = f"≤ {target} ms " + ("ok" if r["median_ms"] <= target else "MISSED")
        lines.append(f"   {name:<50} {_fmt_ms(r['median_ms'])} {_fmt_ms(r['min_ms'])} {_fmt_ms(r['max_ms'])} "
                     f"{r['n']:>3}  {verdict}")
    live = res["eligibility open (live): service"]["median_ms"]
    hand = res["hand-written SQL aggregate (open cycle)"]["median_ms"]
    lines.append(f"   ratio live eligibility service / hand-written SQL aggregate: {live / hand:.1f}× "
                 f"({live:.1f} ms / {hand:.1f} ms)")
    mem = data["memory"]
    for label in ("one platform", "all"):
        m = mem[label]
        lines.append(f"   milestones.csv {label:<12}: {m['rows']:>6} rows, {m['bytes'] / 1e6:6.2f} MB output, "
                     f"tracemalloc peak {m['tracemalloc_peak_bytes'] / 1e6:5.2f} MB, "
                     f"RSS growth {m['rss_growth_kb'] / 1024:5.1f} MB")
    ratio = mem["all"]["tracemalloc_peak_bytes"] / max(1, mem["one platform"]["tracemalloc_peak_bytes"])
    lines.append(f"   memory flat: 60× the rows → {ratio:.2f}× the peak "
                 f"(peak is {mem['all']['tracemalloc_peak_bytes'] / max(1, mem['all']['bytes']) * 100:.1f}% "
                 f"of the output size)")
    first = data.get("first_tick", {})
    lines.append("   first tick did: " + "; ".join(f"{k}={v}" for k, v in first.items())[:400])
    lines.append(f"   notifications after the ticks: {data['notifications_after_ticks']}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("-n", type=int, default=7, help="timed runs per measurement (after one warm-up)")
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG_URL", DEFAULT_PG),
                        help="a PostgreSQL URL; the benchmark creates and drops its own database next to it")
    parser.add_argument("--json", help="also write the raw figures to this file")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.n, args.workdir), default=str))
        return 0

    engines = ["sqlite", "postgres"] if args.engine == "both" else [args.engine]
    raw = {}
    print(f"platform_mgr benchmark: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, median of {args.n} runs after one warm-up")
    for engine in engines:
        with tempfile.TemporaryDirectory(prefix=f"pm-bench-{engine}-") as tmp:
            url, drop, info = build(engine, Path(tmp), args.pg)
            try:
                out = subprocess.run([PY, __file__, "--measure", url, "-n", str(args.n), "--workdir", tmp],
                                     cwd=ROOT, check=True, capture_output=True, text=True,
                                     env=dict(os.environ, PYTHONPATH=str(ROOT)))
            except subprocess.CalledProcessError as exc:
                sys.stderr.write(exc.stderr)
                drop()
                return 1
            drop()
        data = json.loads(out.stdout.strip().splitlines()[-1])
        raw[engine] = {"build": info, **data}
        print("\n".join(report(engine, info, data)), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(raw, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
