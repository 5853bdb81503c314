"""Tamper evidence against someone who can write the database (issue 16): each attack is done directly in the
database, as a DBA or a restored backup would, and must be named by `flask audit verify`; a tampered snapshot is
never served, by the API, the pages or the exports."""
from __future__ import annotations

import json
import os
import stat

from sqlalchemy import text, update
from sqlmodel import select

from platform_mgr import clock
from platform_mgr.canonical import canonical_json, sha256_hex
from platform_mgr.models import AuditEvent, AuditHead, EligibilitySnapshot, Notification
from platform_mgr.services import audit
from platform_mgr.services import eligibility as svc

from .services.test_eligibility import CLOSE, scenario
from .test_migrations import scratch_url  # noqa: F401  (a database of its own for the migration test)

PLATFORM = {"name_zh": "平台", "name_en": "P", "field": "bci", "origin": "top_down", "host_institution": "某单位"}


def frozen_cycle(make, db):
    """The hand-worked scenario, closed and frozen: ALPHA is awarded 5,000,000 yuan."""
    cycle, platforms, _reviewers, _projects = scenario(make, db)
    snapshot = svc.freeze_snapshot(db, cycle, now=CLOSE)
    db.commit()
    return cycle, platforms, snapshot


def raise_alpha_award(db, snapshot, *, with_digest: bool) -> str:
    """The DBA's edit: ALPHA 5,000,000 → 9,000,000 in the payload (and, for a careful one, its digest too)."""
    document = json.loads(snapshot.payload)
    (row,) = [r for r in document["rows"] if r["code"] == "ALPHA"]
    assert row["award"] == 5_000_000
    row["award"] = 9_000_000
    payload = canonical_json(document)
    values = {"payload": payload}
    if with_digest:
        values["payload_digest"] = sha256_hex(payload)
    db.exec(update(EligibilitySnapshot).where(EligibilitySnapshot.id == snapshot.id).values(**values))
    db.commit()
    return sha256_hex(payload)


def add_platforms(api, make, codes):
    client = api(make.admin())
    for code in codes:
        client.post("/api/v1/platforms", json={"code": code, **PLATFORM}, expect=201)
    return client


# --- the snapshot -------------------------------------------------------------------------------------------

def test_an_untouched_snapshot_is_served_and_verifies(app, db, make, api, runner):
    cycle, _p, snapshot = frozen_cycle(make, db)
    assert snapshot.seal == svc.snapshot_seal(snapshot, b"test-audit-key")
    answer = api(make.admin()).get(f"/api/v1/cycles/{cycle.id}/eligibility")
    assert answer.status_code == 200
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "snapshots intact: 1 snapshot(s), 6 export digest(s)" in result.output


def test_an_edited_award_is_never_served_and_the_admins_hear_of_it_once(app, db, make, api, auth, runner):
    cycle, _p, snapshot = frozen_cycle(make, db)
    admin = make.admin(email="officer@example.com")
    other_admin = make.admin()
    observed = raise_alpha_award(db, snapshot, with_digest=False)
    client = api(admin)

    answer = client.get(f"/api/v1/cycles/{cycle.id}/eligibility")
    assert answer.status_code == 409
    assert answer.get_json()["error"]["code"] == "snapshot_tampered"
    for fmt in ("csv", "xlsx"):
        download = client.get(f"/api/v1/exports/eligibility.{fmt}?cycle={cycle.id}")
        assert download.status_code == 409
        assert "X-Content-SHA256" not in download.headers
    auth.login(admin.email)
    for path in (f"/eligibility/cycles/{cycle.id}", f"/eligibility/cycles/{cycle.id}/notice",
                 f"/exports/eligibility.csv?cycle={cycle.id}&lang=en"):
        page = auth.client.get(path)
        assert page.status_code == 409, path
        assert "900.00" not in page.get_data(as_text=True)
    page = auth.client.get(f"/eligibility/cycles/{cycle.id}?lang=en")
    assert f"The frozen eligibility of cycle “{cycle.name}” does not match its recorded digest" in page.get_data(
        as_text=True)

    # one audit event and one notification per admin for this altered content, however often it was read
    detected = db.exec(select(AuditEvent).where(AuditEvent.action == "tamper_detected")).all()
    assert [(e.entity_type, e.entity_id, e.after["observed_digest"]) for e in detected] == [
        ("eligibility_snapshot", snapshot.id, observed)]
    alerts = db.exec(select(Notification).where(Notification.kind == "snapshot_tampered")).all()
    assert sorted(n.recipient_id for n in alerts) == sorted([admin.id, other_admin.id])
    assert all(cycle.name in n.subject_zh and n.link == f"/cycles/{cycle.id}" for n in alerts)

    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"TAMPERED snapshot {snapshot.id} (cycle {cycle.id}" in result.output
    assert "payload does not match its recorded digest" in result.output


def test_a_payload_edited_with_its_digest_breaks_the_seal(app, db, make, api, runner):
    cycle, _p, snapshot = frozen_cycle(make, db)
    raise_alpha_award(db, snapshot, with_digest=True)
    answer = api(make.admin()).get(f"/api/v1/cycles/{cycle.id}/eligibility")
    assert answer.status_code == 409
    assert answer.get_json()["error"]["code"] == "snapshot_tampered"
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "digests do not match their seal" in result.output


def test_an_edited_export_digest_is_named(app, db, make, runner):
    _cycle, _p, snapshot = frozen_cycle(make, db)
    digests = dict(snapshot.export_digests, **{"eligibility.csv": "0" * 64})
    # even resealed with the key (as the app would), a recorded digest the payload does not reproduce is named
    snapshot.export_digests = digests
    snapshot.seal = svc.snapshot_seal(snapshot, b"test-audit-key")
    db.add(snapshot)
    db.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "export eligibility.csv no longer has its recorded SHA-256 " + "0" * 64 in result.output


def test_a_closing_cycle_does_not_read_grades_from_a_tampered_previous_snapshot(app, db, make):
    cycle, _p, snapshot = frozen_cycle(make, db)
    raise_alpha_award(db, snapshot, with_digest=False)
    from platform_mgr.errors import SnapshotTampered
    from platform_mgr.services import delisting

    later = make.cycle(state="open", closes_at=cycle.closes_at.replace(year=cycle.closes_at.year + 1))
    try:
        delisting.mark_at_close(db, later, snapshot, now=CLOSE)
    except SnapshotTampered as exc:
        assert exc.code == "snapshot_tampered" and exc.cycle_id == cycle.id
    else:
        raise AssertionError("the tampered snapshot was read")


# --- the chain --------------------------------------------------------------------------------------------

def test_truncating_the_last_two_events_and_moving_the_head_is_caught_by_the_checkpoint(app, db, make, api, runner):
    add_platforms(api, make, ["T1", "T2", "T3"])
    written = runner.invoke(args=["audit", "checkpoint"])
    assert written.exit_code == 0, written.output
    events = db.exec(select(AuditEvent).order_by(AuditEvent.id)).all()
    keep, cut = events[:-2], events[-2:]
    for event in cut:
        db.delete(event)
    db.exec(update(AuditHead).where(AuditHead.id == 1).values(last_event_id=keep[-1].id, last_hash=keep[-1].hash))
    db.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert (f"events are missing from the end: checkpoint {clock.today().isoformat()}.jsonl:1" in result.output
            and f"recorded {len(events)} events up to event {events[-1].id}; the chain ends at event {keep[-1].id} "
                f"with {len(keep)} events" in result.output)


def test_a_chain_recomputed_without_the_key_is_named(app, db, make, api, runner):
    add_platforms(api, make, ["R1", "R2"])
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
    events = db.exec(select(AuditEvent).order_by(AuditEvent.id)).all()
    victim = events[1]
    prev = audit.GENESIS
    for event in events:  # the attacker edits one event, then recomputes every hash as the first release did
        if event.id == victim.id:
            event.after = {**(event.after or {}), "code": "FAKE"}
        fields = audit.event_fields(event)
        digest = audit.legacy_event_hash(prev, **fields)
        db.exec(update(AuditEvent).where(AuditEvent.id == event.id).values(prev_hash=prev, hash=digest,
                                                                         after=event.after))
        prev = digest
    db.exec(update(AuditHead).where(AuditHead.id == 1).values(last_hash=prev))
    db.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert (f"audit chain BROKEN at event {events[0].id}: content does not match its keyed hash "
            "(edited, or rehashed without the key)") in result.output


def test_a_chain_recomputed_with_another_key_is_named(app, db, make, api, runner):
    add_platforms(api, make, ["K1"])
    events = db.exec(select(AuditEvent).order_by(AuditEvent.id)).all()
    prev = audit.GENESIS
    for event in events:
        digest = audit.event_hash(b"a guessed key", prev, **audit.event_fields(event))
        db.exec(update(AuditEvent).where(AuditEvent.id == event.id).values(prev_hash=prev, hash=digest))
        prev = digest
    db.exec(update(AuditHead).where(AuditHead.id == 1).values(last_hash=prev))
    db.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"BROKEN at event {events[0].id}: content does not match its keyed hash" in result.output


def test_an_edited_checkpoint_is_named(app, db, make, api, runner):
    add_platforms(api, make, ["C1"])
    assert runner.invoke(args=["audit", "checkpoint"]).exit_code == 0
    path = audit.current_checkpoint_dir() / f"{clock.today().isoformat()}.jsonl"
    line = json.loads(path.read_text())
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
    path.write_text(canonical_json({**line, "count": line["count"] - 1}) + "\n")
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"checkpoint {path.name}:1 does not match its signature (edited)" in result.output

    path.write_text("not a checkpoint\n")
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and f"checkpoint {path.name}:1 is not a checkpoint line" in result.output


def test_a_checkpoint_signed_with_another_key_is_named(app, db, make, api, runner):
    add_platforms(api, make, ["S1"])
    with app.app_context():
        audit.write_checkpoint(db, now=clock.now(), key=b"another installation's key")
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and "was signed with another key" in result.output


def test_verify_passes_with_checkpoints_that_agree_and_notes_when_there_is_none(app, db, make, api, runner):
    add_platforms(api, make, ["V1"])
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "note: no checkpoint yet" in result.output
    assert runner.invoke(args=["audit", "checkpoint"]).exit_code == 0
    add_platforms(api, make, ["V2"])
    assert runner.invoke(args=["audit", "checkpoint"]).exit_code == 0
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "2 checkpoint(s) agree" in result.output and "note:" not in result.output


def test_the_scheduler_checkpoints_when_the_head_moved_and_only_then(app, db, make, api):
    from platform_mgr.jobs.tasks import checkpoint_audit

    add_platforms(api, make, ["J1"])
    with app.app_context():
        first = checkpoint_audit(db, clock.now())
        again = checkpoint_audit(db, clock.now())
        add_platforms(api, make, ["J2"])
        moved = checkpoint_audit(db, clock.now())
        marks = audit.read_checkpoints(audit.current_checkpoint_dir())
    last = db.exec(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert first["written"] is True and again == {"written": False, "event_id": None}
    assert moved == {"written": True, "event_id": last.id}
    assert [m.event_id for m in marks][-1] == last.id and len(marks) == 2


def test_the_audit_key_is_made_once_in_the_instance_folder_and_kept_private(tmp_path, database_url):
    from platform_mgr import create_app
    from platform_mgr.config import TestConfig

    class Cfg(TestConfig):
        SQLALCHEMY_DATABASE_URI = database_url
        INSTANCE_PATH = str(tmp_path)
        AUDIT_KEY = ""

    first = create_app(Cfg)
    key_file = tmp_path / "audit_key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert first.config["AUDIT_KEY"] == key_file.read_text() and len(key_file.read_text()) == 64
    assert create_app(Cfg).config["AUDIT_KEY"] == first.config["AUDIT_KEY"]
    assert first.config["AUDIT_CHECKPOINT_DIR"] == str(tmp_path / "audit-checkpoints")
    assert first.config["AUDIT_KEY"] != first.config["SECRET_KEY"]


# --- the re-keying migration ------------------------------------------------------------------------------

def test_the_migration_rekeys_a_first_release_chain_keeping_its_digests_verifiable(scratch_url, tmp_path):
    from platform_mgr import migrate
    from platform_mgr.db import build_engine

    url = scratch_url
    migrate.upgrade(url, "5c2d8e41f7a3")
    engine = build_engine(url)
    prev = audit.GENESIS
    stamp = clock.now()
    with engine.begin() as conn:  # three events of the first release, chained by plain SHA-256
        for n in range(3):
            fields = {"occurred_at": stamp, "actor_id": None, "actor_label": "system", "entity_type": "platform",
                      "entity_id": n + 1, "action": "create", "before": None, "after": {"code": f"P{n}"}}
            digest = audit.legacy_event_hash(prev, **fields)
            conn.execute(text("INSERT INTO audit_event (occurred_at, actor_id, actor_label, entity_type, entity_id, "
                              "action, before, after, prev_hash, hash) VALUES (:at, NULL, 'system', 'platform', :eid, "
                              "'create', NULL, :after, :prev, :hash)"),
                         {"at": stamp.replace(tzinfo=None) if url.startswith("sqlite") else stamp, "eid": n + 1,
                          "after": json.dumps({"code": f"P{n}"}), "prev": prev, "hash": digest})
            prev = digest
        last_id = conn.execute(text("SELECT max(id) FROM audit_event")).scalar_one()
        conn.execute(text("INSERT INTO audit_head (id, last_event_id, last_hash) VALUES (1, :id, :h)"),
                     {"id": last_id, "h": prev})
    legacy_head = prev

    migrate.upgrade(url, audit_key="the installation's key")
    from sqlmodel import Session

    key = b"the installation's key"
    with Session(engine) as session:
        result = audit.verify(session, key=key, checkpoint_dir=tmp_path / "none")
        assert result.ok and result.checked == 4 and result.legacy == 3
        rekey = session.exec(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert (rekey.entity_type, rekey.action) == ("audit_chain", "rekey")
        assert rekey.after == {"events": 3, "legacy_head": legacy_head, "key_id": audit.key_id(key)}
        assert rekey.legacy_hash is None
        assert not audit.verify(session, key=b"another key", checkpoint_dir=tmp_path / "none").ok
        old = session.exec(select(AuditEvent).where(AuditEvent.id == last_id)).one()
        assert old.legacy_hash == legacy_head and old.hash != legacy_head

    migrate.downgrade(url, "5c2d8e41f7a3", audit_key="the installation's key")
    with engine.connect() as conn:  # the plain chain is back over every event, the re-keying one included
        rows = conn.execute(text("SELECT id, prev_hash, hash FROM audit_event ORDER BY id")).all()
        assert [r.hash for r in rows[:3]][-1] == legacy_head and rows[3].prev_hash == legacy_head
        assert conn.execute(text("SELECT last_hash FROM audit_head")).scalar_one() == rows[3].hash
    engine.dispose()
