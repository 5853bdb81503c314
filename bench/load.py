"""Concurrent load against `gunicorn -w 4` on SQLite or PostgreSQL: no 5xx, no lost update.

    .venv/bin/python bench/load.py --engine sqlite      (or --engine postgres)

It builds a fresh database with the demo data, starts gunicorn on a free loopback port, and runs
client threads that read-modify-write the SAME milestones (each PATCH carries the version it read,
so a concurrent writer gets 409), several reviewers PUT their draft reviews of the open cycle
(two clients per reviewer, each PUT carrying the version it read) while readers fetch the results
and the reviews. Afterwards it checks:

* no response was a 5xx;
* no lost update: every milestone's and review's final version is its starting version + the number
  of writes that got 200 for it, the accepted versions are consecutive, and the final content is the
  one of the last accepted write;
* new audit events for those rows equal the accepted writes.

Everything stays on 127.0.0.1; the run is bounded by --seconds.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def flask(env, *args) -> str:
    out = subprocess.run([PY, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True)
    return out.stdout


def call(base, token, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    t0 = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            payload = resp.read()
            status = resp.status
    except urllib.error.HTTPError as exc:
        payload = exc.read()
        status = exc.code
    elapsed = time.perf_counter() - t0
    try:
        parsed = json.loads(payload) if payload else None
    except ValueError:
        parsed = None
    return status, parsed, elapsed


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--milestones", type=int, default=8, help="how many milestones all clients fight over")
    ap.add_argument("--reviewers", type=int, default=4, help="reviewers writing their reviews concurrently")
    ap.add_argument("--review-clients", type=int, default=2, help="clients per reviewer (same review)")
    ap.add_argument("--readers", type=int, default=4, help="clients reading results and reviews")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="pm-load-"))
    env = dict(os.environ, INSTANCE_PATH=str(tmp), SECRET_KEY="load-test")
    drop = None
    if args.engine == "sqlite":
        env["DATABASE_URL"] = "sqlite:///" + str(tmp / "load.sqlite3")
    else:
        import sqlalchemy as sa

        name = f"pm_load_{os.getpid()}"
        admin = sa.create_engine(args.pg_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            c.execute(sa.text(f'CREATE DATABASE "{name}"'))
        env["DATABASE_URL"] = sa.engine.make_url(args.pg_url).set(database=name).render_as_string(hide_password=False)

        def drop():
            with admin.connect() as c:
                c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    flask(env, "db", "upgrade")
    flask(env, "seed-demo")
    op_token = flask(env, "users", "token", "--email", "op-bci@example.com").strip().splitlines()[-1]
    admin_token = flask(env, "users", "token", "--email", "admin@example.com").strip().splitlines()[-1]
    # reviewers with a review still open to edit in the open cycle (read straight from the database)
    import sqlalchemy as sa

    engine = sa.create_engine(env["DATABASE_URL"])
    with engine.connect() as c:
        review_rows = c.execute(sa.text(
            "SELECT a.id, a.cycle_id, a.platform_id, u.email FROM assignment a JOIN review_cycle rc ON rc.id = a.cycle_id "
            "JOIN \"user\" u ON u.id = a.reviewer_id WHERE rc.state = 'open' AND a.review_state != 'submitted' "
            "AND NOT a.conflicted ORDER BY a.id")).all()
    engine.dispose()
    review_targets, seen_reviewers = [], set()
    for aid, cycle_id, pid, email in review_rows:
        if email in seen_reviewers or len(review_targets) >= args.reviewers:
            continue
        seen_reviewers.add(email)
        token = flask(env, "users", "token", "--email", email).strip().splitlines()[-1]
        review_targets.append(dict(assignment_id=aid, path=f"/api/v1/cycles/{cycle_id}/reviews/{pid}", token=token,
                                   results=f"/api/v1/cycles/{cycle_id}/results"))

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([str(ROOT / ".venv" / "bin" / "gunicorn"), "-w", str(args.workers), "-b",
                               f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"], cwd=ROOT, env=env)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        me = call(base, op_token, "GET", "/api/v1/me")[1]
        platform_id = me["platforms"][0]["id"]
        projects = call(base, op_token, "GET", f"/api/v1/platforms/{platform_id}/projects?per_page=50")[1]["items"]
        targets = []
        for project in projects:
            if project["status"] != "active":
                continue
            for m in call(base, op_token, "GET", f"/api/v1/projects/{project['id']}/milestones?per_page=50")[1]["items"]:
                if m["status"] in ("planned", "in_progress"):
                    targets.append(m["id"])
        targets = targets[:args.milestones]
        if not targets:
            print("no editable milestone found", file=sys.stderr)
            return 2

        statuses: Counter = Counter()
        latencies: list[float] = []
        accepted = defaultdict(list)  # milestone id → [(finish time, title, version)]
        review_accepted = defaultdict(list)  # assignment id → [(comment, version)]

        def audit_count(entity_type, entity_id):
            page = call(base, admin_token, "GET", f"/api/v1/audit?entity_type={entity_type}&entity_id={entity_id}"
                                                  "&per_page=1")[1]
            return page["total"]

        start_versions = {mid: call(base, op_token, "GET", f"/api/v1/milestones/{mid}")[1]["version"]
                          for mid in targets}
        audit_before = sum(audit_count("milestone", mid) for mid in targets)
        criteria = {}
        for r in review_targets:
            body = call(base, r["token"], "GET", r["path"])[1]
            r["start_version"] = body["version"]
            criteria[r["path"]] = [(c["code"], c["max_points"]) for c in body["criteria"]]
        review_audit_before = sum(audit_count("assignment", r["assignment_id"]) for r in review_targets)
        lock = threading.Lock()
        deadline = time.monotonic() + args.seconds

        def client(seed: int):
            rng = random.Random(seed)
            n = 0
            while time.monotonic() < deadline:
                mid = rng.choice(targets)
                status, body, elapsed = call(base, op_token, "GET", f"/api/v1/milestones/{mid}")
                with lock:
                    statuses[("GET", status)] += 1
                    latencies.append(elapsed)
                if status != 200:
                    continue
                n += 1
                title = f"负载测试 c{seed} #{n}"
                status, body, elapsed = call(base, op_token, "PATCH", f"/api/v1/milestones/{mid}",
                                             {"version": body["version"], "title": title})
                with lock:
                    statuses[("PATCH", status)] += 1
                    latencies.append(elapsed)
                    if status == 200:
                        accepted[mid].append((time.monotonic(), title, body["version"]))

        def reviewer_client(seed: int, r: dict):
            rng = random.Random(seed)
            n = 0
            while time.monotonic() < deadline:
                status, body, elapsed = call(base, r["token"], "GET", r["path"])
                with lock:
                    statuses[("GET", status)] += 1
                    latencies.append(elapsed)
                if status != 200:
                    continue
                n += 1
                comment = f"评审意见 c{seed} #{n}"
                scores = {code: round(rng.uniform(0, top), 1) for code, top in criteria[r["path"]]}
                status, body, elapsed = call(base, r["token"], "PUT", r["path"],
                                             {"version": body["version"], "scores": scores, "comment": comment})
                with lock:
                    statuses[("PUT", status)] += 1
                    latencies.append(elapsed)
                    if status == 200:
                        review_accepted[r["assignment_id"]].append((comment, body["version"]))

        def reader(seed: int):
            rng = random.Random(seed)
            while time.monotonic() < deadline:
                r = rng.choice(review_targets)
                token, path = (admin_token, r["results"]) if rng.random() < 0.5 else (r["token"], r["path"])
                status, _body, elapsed = call(base, token, "GET", path)
                with lock:
                    statuses[("GET", status)] += 1
                    latencies.append(elapsed)

        threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
        for k, r in enumerate(review_targets):
            threads += [threading.Thread(target=reviewer_client, args=(100 + k * 10 + j, r))
                        for j in range(args.review_clients)]
        if review_targets:
            threads += [threading.Thread(target=reader, args=(1000 + i,)) for i in range(args.readers)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0

        lost = []
        for mid in targets:
            final = call(base, op_token, "GET", f"/api/v1/milestones/{mid}")[1]
            writes = accepted.get(mid, [])
            v0 = start_versions[mid]
            versions = sorted(v for _t, _title, v in writes)
            if final["version"] != v0 + len(writes) or versions != list(range(v0 + 1, v0 + 1 + len(writes))):
                lost.append((mid, final["version"], len(writes)))
            elif writes and final["title"] != max(writes, key=lambda w: w[2])[1]:
                lost.append((mid, "title", final["title"]))
        for r in review_targets:
            final = call(base, r["token"], "GET", r["path"])[1]
            writes = review_accepted.get(r["assignment_id"], [])
            v0 = r["start_version"]
            versions = sorted(v for _c, v in writes)
            if final["version"] != v0 + len(writes) or versions != list(range(v0 + 1, v0 + 1 + len(writes))):
                lost.append((r["assignment_id"], final["version"], len(writes)))
            elif writes and final["comment"] != max(writes, key=lambda w: w[1])[0]:
                lost.append((r["assignment_id"], "comment", final["comment"]))
        audit_total = sum(audit_count("milestone", mid) for mid in targets) - audit_before
        review_audit = sum(audit_count("assignment", r["assignment_id"]) for r in review_targets) - review_audit_before
        writes_total = sum(len(v) for v in accepted.values())
        review_writes = sum(len(v) for v in review_accepted.values())
        five_xx = sum(n for (method, status), n in statuses.items() if status >= 500)
        requests = sum(statuses.values())
        print(f"engine={args.engine} workers={args.workers} milestone clients={args.clients} "
              f"reviewers={len(review_targets)}x{args.review_clients} readers={args.readers if review_targets else 0} "
              f"seconds={wall:.1f}")
        print(f"requests={requests} rps={requests / wall:.0f} p50={statistics.median(latencies) * 1000:.1f}ms "
              f"p95={statistics.quantiles(latencies, n=20)[18] * 1000:.1f}ms")
        print("statuses:", dict(sorted((f"{m} {s}", n) for (m, s), n in statuses.items())))
        print(f"accepted writes={writes_total} stale writes refused (409)={statuses[('PATCH', 409)]} "
              f"new audit events={audit_total}")
        print(f"accepted review writes={review_writes} stale review writes refused (409)={statuses[('PUT', 409)]} "
              f"new audit events={review_audit}")
        print(f"5xx={five_xx} lost updates={len(lost)}")
        ok = (five_xx == 0 and not lost and audit_total == writes_total and review_audit == review_writes
              and (review_writes > 0 or not review_targets))
        print("RESULT:", "OK" if ok else f"FAILED {lost[:5]}")
        return 0 if ok else 1
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        if drop:
            drop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
