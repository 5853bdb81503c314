"""Concurrent load against `gunicorn -w 4` on SQLite or PostgreSQL: no 5xx, no lost update.

    .venv/bin/python bench/load.py --engine sqlite      (or --engine postgres)

It builds a fresh database with the demo data, starts gunicorn on a free loopback port, and runs
client threads that read-modify-write the SAME milestones (each PATCH carries the version it read,
so a concurrent writer gets 409), several reviewers PUT their draft reviews of the open cycle
(two clients per reviewer, each PUT carrying the version it read), the operator and an admin PUT the
self-assessments of two platforms in the open cycle (one that exists, one that does not yet: the
first write sends version 0, so concurrent first writes race on creating it) while readers fetch the
results and the reviews. Afterwards it checks:

* no response was a 5xx;
* no lost update: every milestone's, review's and self-assessment's final version is its starting
  version (0 for a self-assessment not yet written) + the number of writes that got 200 for it, the
  accepted versions are consecutive, the final content is the one of the last accepted write, and every
  accepted review or self-assessment write answers the version it read + 1 (none was accepted on top of a
  write it had not read);
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


def _sa_id(*, engine_url: str, path: str) -> int | None:
    """The id of the self-assessment at ``/api/v1/cycles/<c>/self-assessments/<p>`` (the API answers without it)."""
    import sqlalchemy as sa

    cycle_id, platform_id = int(path.split("/")[4]), int(path.split("/")[6])
    engine = sa.create_engine(engine_url)
    try:
        with engine.connect() as c:
            return c.execute(sa.text("SELECT id FROM self_assessment WHERE cycle_id = :c AND platform_id = :p"),
                             {"c": cycle_id, "p": platform_id}).scalar()
    finally:
        engine.dispose()


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
    ap.add_argument("--sa-clients", type=int, default=4,
                    help="clients per self-assessment (half the operator's token, half an admin's)")
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
    # self-assessments of the open cycle: the first platform that has one and the first that has none yet, each
    # written by its operator and by an admin (two people, neither of whom may silently overwrite the other)
    engine = sa.create_engine(env["DATABASE_URL"])
    with engine.connect() as c:
        sa_rows = c.execute(sa.text(
            "SELECT rc.id, p.id, u.email, s.id IS NOT NULL FROM review_cycle rc CROSS JOIN platform p "
            "JOIN operator_platform op ON op.platform_id = p.id JOIN \"user\" u ON u.id = op.user_id "
            "LEFT JOIN self_assessment s ON s.cycle_id = rc.id AND s.platform_id = p.id "
            "WHERE rc.state = 'open' AND p.status = 'active' ORDER BY p.id, u.id")).all()
    engine.dispose()
    sa_targets = []
    for exists in (True, False):
        row = next((r for r in sa_rows if bool(r[3]) is exists), None)
        if row is None or args.sa_clients <= 0:
            continue
        cycle_id, pid, email = row[0], row[1], row[2]
        token = flask(env, "users", "token", "--email", email).strip().splitlines()[-1]
        sa_targets.append(dict(path=f"/api/v1/cycles/{cycle_id}/self-assessments/{pid}", tokens=[token, admin_token],
                               existed=exists))

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
        sa_accepted = defaultdict(list)  # self-assessment path → [(text, version)]
        over_stale = []  # review / self-assessment writes accepted on top of a version they had not read

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
            # one save before counting: a review's first save also rechecks its conflict rules (DESIGN §10), and
            # the demo data leaves some gatekeepers' assignments unmarked (rule C3), so that save updates the row
            # (version and audit) twice; the counted writes that follow are plain saves
            status, body, _elapsed = call(base, r["token"], "PUT", r["path"],
                                          {"version": body["version"], "comment": body["comment"],
                                           "scores": body["scores"]})
            if status != 200:
                print(f"warm-up save of {r['path']}: {status} {body}", file=sys.stderr)
                return 2
            r["start_version"] = body["version"]
            criteria[r["path"]] = [(c["code"], c["max_points"]) for c in body["criteria"]]
        review_audit_before = sum(audit_count("assignment", r["assignment_id"]) for r in review_targets)
        for t in sa_targets:
            body = call(base, admin_token, "GET", t["path"])[1]
            t["start_version"] = body["version"]  # 0: none yet
            t["audit_before"] = audit_count("self_assessment", _sa_id(engine_url=env["DATABASE_URL"], path=t["path"])) \
                if t["existed"] else 0
        lock = threading.Lock()
        deadline = time.monotonic() + args.seconds

        def read_then_write(token: str, method: str, label: str, next_path, body_for, on_accept) -> None:
            """Until the deadline: GET ``next_path()``, then ``method`` it with ``body_for(read, n)`` (which carries
            the version read); ``on_accept(path, read, answer)`` records each 200 (under the lock)."""
            n = 0
            while time.monotonic() < deadline:
                path = next_path()
                status, body, elapsed = call(base, token, "GET", path)
                with lock:
                    statuses[("GET", status)] += 1
                    latencies.append(elapsed)
                if status != 200:
                    continue
                n += 1
                read = body["version"]
                status, body, elapsed = call(base, token, method, path, body_for(read, n))
                with lock:
                    statuses[(label, status)] += 1
                    latencies.append(elapsed)
                    if status == 200:
                        on_accept(path, read, body)

        def versioned(store: dict, key, path: str, read: int, body: dict, content) -> None:
            store[key].append((content, body["version"]))
            if body["version"] != read + 1:  # accepted although another write came after the read
                over_stale.append((path, read, body["version"]))

        def client(seed: int):
            rng = random.Random(seed)
            paths = {f"/api/v1/milestones/{mid}": mid for mid in targets}
            titles = {}

            def body_for(read, n):
                titles[seed] = f"负载测试 c{seed} #{n}"
                return {"version": read, "title": titles[seed]}

            read_then_write(op_token, "PATCH", "PATCH", lambda: rng.choice(list(paths)), body_for,
                            lambda path, read, body: accepted[paths[path]].append(
                                (time.monotonic(), titles[seed], body["version"])))

        def reviewer_client(seed: int, r: dict):
            rng = random.Random(seed)
            comments = {}

            def body_for(read, n):
                comments[seed] = f"评审意见 c{seed} #{n}"
                scores = {code: round(rng.uniform(0, top), 1) for code, top in criteria[r["path"]]}
                return {"version": read, "scores": scores, "comment": comments[seed]}

            read_then_write(r["token"], "PUT", "PUT", lambda: r["path"], body_for,
                            lambda path, read, body: versioned(review_accepted, r["assignment_id"], path, read, body,
                                                               comments[seed]))

        def sa_client(seed: int, t: dict, token: str):
            texts = {}

            def body_for(read, n):
                texts[seed] = f"自评 c{seed} #{n}"
                return {"version": read, "service": texts[seed]}

            read_then_write(token, "PUT", "PUT self-assessment", lambda: t["path"], body_for,
                            lambda path, read, body: versioned(sa_accepted, t["path"], path, read, body, texts[seed]))

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
        for k, t in enumerate(sa_targets):
            threads += [threading.Thread(target=sa_client, args=(500 + k * 10 + j, t, t["tokens"][j % 2]))
                        for j in range(args.sa_clients)]
        if review_targets:
            threads += [threading.Thread(target=reader, args=(1000 + i,)) for i in range(args.readers)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0

        lost = list(over_stale)
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
        sa_audit = 0
        for t in sa_targets:
            final = call(base, admin_token, "GET", t["path"])[1]
            writes = sa_accepted.get(t["path"], [])
            v0 = t["start_version"]
            versions = sorted(v for _text, v in writes)
            if final["version"] != v0 + len(writes) or versions != list(range(v0 + 1, v0 + 1 + len(writes))):
                lost.append((t["path"], final["version"], len(writes)))
            elif writes and final["service"] != max(writes, key=lambda w: w[1])[0]:
                lost.append((t["path"], "service", final["service"]))
            if writes:
                sa_audit += audit_count("self_assessment", _sa_id(engine_url=env["DATABASE_URL"], path=t["path"])) \
                    - t["audit_before"]
        audit_total = sum(audit_count("milestone", mid) for mid in targets) - audit_before
        review_audit = sum(audit_count("assignment", r["assignment_id"]) for r in review_targets) - review_audit_before
        writes_total = sum(len(v) for v in accepted.values())
        review_writes = sum(len(v) for v in review_accepted.values())
        sa_writes = sum(len(v) for v in sa_accepted.values())
        five_xx = sum(n for (method, status), n in statuses.items() if status >= 500)
        requests = sum(statuses.values())
        print(f"engine={args.engine} workers={args.workers} milestone clients={args.clients} "
              f"reviewers={len(review_targets)}x{args.review_clients} "
              f"self-assessments={len(sa_targets)}x{args.sa_clients} readers={args.readers if review_targets else 0} "
              f"seconds={wall:.1f}")
        print(f"requests={requests} rps={requests / wall:.0f} p50={statistics.median(latencies) * 1000:.1f}ms "
              f"p95={statistics.quantiles(latencies, n=20)[18] * 1000:.1f}ms")
        print("statuses:", dict(sorted((f"{m} {s}", n) for (m, s), n in statuses.items())))
        print(f"accepted writes={writes_total} stale writes refused (409)={statuses[('PATCH', 409)]} "
              f"new audit events={audit_total}")
        print(f"accepted review writes={review_writes} stale review writes refused (409)={statuses[('PUT', 409)]} "
              f"new audit events={review_audit}")
        print(f"accepted self-assessment writes={sa_writes} stale self-assessment writes refused (409)="
              f"{statuses[('PUT self-assessment', 409)]} new audit events={sa_audit}")
        print(f"5xx={five_xx} lost updates={len(lost)}")
        ok = (five_xx == 0 and not lost and audit_total == writes_total and review_audit == review_writes
              and (review_writes > 0 or not review_targets) and sa_audit == sa_writes
              and (sa_writes > 0 or not sa_targets))
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
