"""The audit log: append-only events chained by HMAC-SHA-256 under a key that is not in the database.

Each event's hash is an HMAC (key ``AUDIT_KEY``: the environment, or ``instance/audit_key`` made once) of its own
fields and the previous event's hash, so editing, deleting or reordering any event breaks the chain from that point
on, and someone who can write the database but does not hold the key cannot compute a chain that verifies. Appends
are serialised through the single ``audit_head`` row (row lock on PostgreSQL; SQLite's write transactions are
already exclusive), so concurrent writers cannot fork it.

A chain cut short at its end, with ``audit_head`` moved back, still links: **checkpoints** catch that. A checkpoint
is the head (event id, hash, count of events) at an instant, signed with the key and appended to a file outside the
database (``AUDIT_CHECKPOINT_DIR``, one file per Beijing day, by the scheduler and by ``flask audit checkpoint``);
``verify`` checks the chain against every checkpoint, so a truncated, rewritten or recomputed chain, and an edited
checkpoint, are each named.

The events of the first release were chained by plain SHA-256; the migration that keyed the chain kept each of
those digests in ``legacy_hash``, and ``verify`` still checks them (a digest quoted before the re-keying can be
matched), then ends them with an ``audit_chain``/``rekey`` event that records the old head.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable

from flask import current_app, has_app_context
from sqlalchemy import func
from sqlmodel import Session, select

from ..canonical import canonical_json, hmac_hex, iso_utc, sha256_hex
from ..models import AuditEvent, AuditHead, utcnow

GENESIS = "0" * 64


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")


def jsonable(data: Any) -> Any:
    """Round-trip through JSON so what we hash is exactly what the database keeps."""
    if data is None:
        return None
    return json.loads(json.dumps(data, default=_default, ensure_ascii=False))


#: the audit settings of the app this process built last (create_app), for code that runs outside an app context
#: with a session of its own (scripts, benches, tests arranging data); inside one, the current app's are used
_built: dict[str, str] = {}


def remember_app_settings(config) -> None:
    _built.update(AUDIT_KEY=str(config["AUDIT_KEY"]), AUDIT_CHECKPOINT_DIR=str(config["AUDIT_CHECKPOINT_DIR"]))


def _setting(name: str) -> str:
    if has_app_context():
        return str(current_app.config[name])
    if name not in _built:
        raise RuntimeError(f"{name} is unknown: no app has been built in this process")
    return _built[name]


def current_key() -> bytes:
    """The app's audit key (``AUDIT_KEY``) as bytes."""
    return _setting("AUDIT_KEY").encode("utf-8")


def current_checkpoint_dir() -> Path:
    return Path(_setting("AUDIT_CHECKPOINT_DIR"))


def key_id(key: bytes) -> str:
    """A short name of a key (not the key): tells which key signed a checkpoint."""
    return hmac_hex(key, "platform_mgr audit key id")[:12]


def _event_body(prev_hash: str, *, occurred_at: datetime, actor_id, actor_label, entity_type, entity_id, action,
                before, after) -> str:
    return canonical_json(
        {
            "prev": prev_hash,
            "at": iso_utc(occurred_at, timespec="microseconds", suffix="+00:00"),
            "actor_id": actor_id,
            "actor": actor_label,
            "type": entity_type,
            "id": entity_id,
            "action": action,
            "before": before,
            "after": after,
        }
    )


def event_hash(key: bytes, prev_hash: str, **fields: Any) -> str:
    """The keyed hash of one event: HMAC-SHA-256 under the audit key of its fields and the previous hash."""
    return hmac_hex(key, _event_body(prev_hash, **fields))


def legacy_event_hash(prev_hash: str, **fields: Any) -> str:
    """The first release's unkeyed digest of an event (kept in ``legacy_hash`` by the re-keying migration)."""
    return sha256_hex(_event_body(prev_hash, **fields))


def event_fields(ev: AuditEvent) -> dict[str, Any]:
    return {"occurred_at": ev.occurred_at, "actor_id": ev.actor_id, "actor_label": ev.actor_label,
            "entity_type": ev.entity_type, "entity_id": ev.entity_id, "action": ev.action, "before": ev.before,
            "after": ev.after}


def snapshot(obj: Any, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The audit view of a model: its columns (or the named ones) as JSON-able values."""
    if obj is None:
        return {}
    names = list(fields) if fields is not None else [c.name for c in obj.__table__.columns]
    return jsonable({name: getattr(obj, name) for name in names if name != "password_hash"})


def record(session: Session, actor: Any, entity_type: str, entity_id: int | None, action: str,
           before: dict | None = None, after: dict | None = None, *, at: datetime | None = None,
           key: bytes | None = None) -> AuditEvent:
    """Append one event. ``actor`` is a User, an Actor-like object with id/email, or None (system)."""
    actor_id = getattr(actor, "id", None)
    actor_label = getattr(actor, "email", None) or ("system" if actor is None else f"user:{actor_id}")
    before, after = jsonable(before), jsonable(after)
    if before is not None and after is not None:  # keep only what changed, and the keys of identity
        changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
        before = {k: v for k, v in before.items() if k in changed}
        after = {k: v for k, v in after.items() if k in changed}
    occurred_at = at or utcnow()

    head = session.exec(select(AuditHead).where(AuditHead.id == 1).with_for_update()).first()
    if head is None:
        head = AuditHead(id=1, last_hash=GENESIS, last_event_id=None)
        session.add(head)
        session.flush()
    prev = head.last_hash
    digest = event_hash(key if key is not None else current_key(), prev, occurred_at=occurred_at, actor_id=actor_id, actor_label=actor_label,
                        entity_type=entity_type, entity_id=entity_id, action=action, before=before, after=after)
    event = AuditEvent(occurred_at=occurred_at, actor_id=actor_id, actor_label=actor_label, entity_type=entity_type,
                       entity_id=entity_id, action=action, before=before, after=after, prev_hash=prev, hash=digest)
    session.add(event)
    session.flush()
    head.last_hash = digest
    head.last_event_id = event.id
    session.add(head)
    session.flush()
    return event


# --- checkpoints -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Checkpoint:
    """One line of a checkpoint file: the chain's head at ``at`` (``event_id`` None: the chain was empty)."""

    at: str
    event_id: int | None
    count: int
    head: str
    key_id: str
    sig: str
    where: str = ""  # "<file>:<line>", for the messages

    def signed_fields(self) -> dict[str, Any]:
        return {"at": self.at, "event_id": self.event_id, "count": self.count, "head": self.head,
                "key_id": self.key_id}

    def signature_ok(self, key: bytes) -> bool:
        return self.sig == _checkpoint_sig(key, self.signed_fields())


def _checkpoint_sig(key: bytes, fields: dict[str, Any]) -> str:
    return hmac_hex(key, "checkpoint:" + canonical_json(fields))


class CheckpointFileError(ValueError):
    """A line of a checkpoint file that is not a checkpoint (edited by hand, cut short)."""


def read_checkpoints(directory: Path) -> list[Checkpoint]:
    """Every checkpoint in the directory, oldest file first; CheckpointFileError naming a line that is not one."""
    out: list[Checkpoint] = []
    if not directory.is_dir():
        return out
    for path in sorted(directory.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            where = f"{path.name}:{number}"
            try:
                data = json.loads(line)
                cp = Checkpoint(at=str(data["at"]), event_id=data["event_id"], count=int(data["count"]),
                                head=str(data["head"]), key_id=str(data["key_id"]), sig=str(data["sig"]), where=where)
            except (ValueError, KeyError, TypeError):
                raise CheckpointFileError(f"checkpoint {where} is not a checkpoint line") from None
            if cp.event_id is not None and not isinstance(cp.event_id, int):
                raise CheckpointFileError(f"checkpoint {where} is not a checkpoint line")
            out.append(cp)
    return out


def current_head(session: Session) -> tuple[int | None, str, int]:
    """(last event id, its hash, number of events) as committed now; one consistent statement for id and count."""
    count, last_id = session.exec(select(func.count(AuditEvent.id), func.max(AuditEvent.id))).one()
    if last_id is None:
        return None, GENESIS, 0
    return last_id, session.get(AuditEvent, last_id).hash, int(count)


def write_checkpoint(session: Session, *, now: datetime, key: bytes | None = None, directory: Path | None = None,
                     only_if_moved: bool = False) -> Checkpoint | None:
    """Append a signed checkpoint of the chain's head to today's file (Beijing date) in the checkpoint directory.

    ``only_if_moved``: nothing is written (None) when the newest checkpoint already records this head (the
    scheduler's tick). The file is opened for appending only and synced before returning."""
    from ..i18n import shanghai_today

    key = key if key is not None else current_key()
    directory = directory if directory is not None else current_checkpoint_dir()
    event_id, head, count = current_head(session)
    if only_if_moved:
        try:
            existing = read_checkpoints(directory)
        except CheckpointFileError:
            existing = []  # verify names the bad line; a new checkpoint is still worth writing
        if existing and (existing[-1].event_id, existing[-1].head) == (event_id, head):
            return None
    fields = {"at": iso_utc(now, timespec="seconds"), "event_id": event_id, "count": count, "head": head,
              "key_id": key_id(key)}
    line = canonical_json({**fields, "sig": _checkpoint_sig(key, fields)}) + "\n"
    directory.mkdir(parents=True, exist_ok=True, mode=0o750)
    path = directory / f"{shanghai_today(now).isoformat()}.jsonl"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, line.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    return Checkpoint(where=path.name, sig=json.loads(line)["sig"], **fields)


# --- verification ---------------------------------------------------------------------------------------------

@dataclass
class VerifyResult:
    ok: bool
    checked: int
    first_bad_id: int | None = None
    reason: str = ""
    checkpoints: int = 0  # checkpoints that were checked and agree
    legacy: int = 0  # events whose first-release digest was checked too
    notes: list[str] = field(default_factory=list)  # not failures: "no checkpoint yet"


def verify(session: Session, batch: int = 2000, *, key: bytes | None = None,
           checkpoint_dir: Path | None = None) -> VerifyResult:
    """Walk the chain in id order under the key; report the first event whose link or hash does not hold, then
    the head, then every checkpoint (its signature, and that the chain still holds the event, hash and count it
    recorded)."""
    key = key if key is not None else current_key()
    directory = checkpoint_dir if checkpoint_dir is not None else current_checkpoint_dir()
    try:
        marks = read_checkpoints(directory)
    except CheckpointFileError as exc:
        return VerifyResult(False, 0, None, str(exc))
    kid = key_id(key)
    for cp in marks:
        if cp.key_id != kid:
            return VerifyResult(False, 0, None, f"checkpoint {cp.where} was signed with another key ({cp.key_id}); "
                                                f"this installation's key is {kid}")
        if not cp.signature_ok(key):
            return VerifyResult(False, 0, None, f"checkpoint {cp.where} does not match its signature (edited)")
    wanted = {cp.event_id for cp in marks if cp.event_id is not None}
    seen: dict[int, tuple[str, int]] = {}
    prev, legacy_prev = GENESIS, GENESIS
    checked = legacy = 0
    last_id = 0
    last_seen_id = None
    while True:
        rows = session.exec(
            select(AuditEvent).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch)
        ).all()
        if not rows:
            break
        for ev in rows:
            if ev.prev_hash != prev:
                return VerifyResult(False, checked, ev.id, "prev_hash does not match the previous event")
            fields = event_fields(ev)
            if event_hash(key, prev, **fields) != ev.hash:
                return VerifyResult(False, checked, ev.id,
                                    "content does not match its keyed hash (edited, or rehashed without the key)")
            if ev.legacy_hash is not None:
                if legacy_event_hash(legacy_prev, **fields) != ev.legacy_hash:
                    return VerifyResult(False, checked, ev.id, "content does not match its first-release digest")
                legacy_prev = ev.legacy_hash
                legacy += 1
            prev = ev.hash
            checked += 1
            last_seen_id = ev.id
            if ev.id in wanted:
                seen[ev.id] = (ev.hash, checked)
        last_id = rows[-1].id
        session.expunge_all()
    head = session.get(AuditHead, 1)
    if head is not None and (head.last_hash != prev or head.last_event_id != last_seen_id):
        return VerifyResult(False, checked, head.last_event_id, "events after the last intact one are missing")
    for cp in marks:
        if cp.event_id is None:
            continue
        if cp.event_id not in seen:
            if last_seen_id is None or cp.event_id > last_seen_id:
                reason = (f"events are missing from the end: checkpoint {cp.where} ({cp.at}) recorded {cp.count} "
                          f"events up to event {cp.event_id}; the chain ends at event {last_seen_id} "
                          f"with {checked} events")
            else:
                reason = f"event {cp.event_id} recorded by checkpoint {cp.where} ({cp.at}) is missing"
            return VerifyResult(False, checked, cp.event_id, reason)
        digest, count = seen[cp.event_id]
        if digest != cp.head:
            return VerifyResult(False, checked, cp.event_id,
                                f"event {cp.event_id} differs from checkpoint {cp.where} ({cp.at})")
        if count != cp.count:
            return VerifyResult(False, checked, cp.event_id,
                                f"the chain holds {count} events up to event {cp.event_id}; checkpoint {cp.where} "
                                f"({cp.at}) recorded {cp.count}")
    notes = [] if marks else [f"no checkpoint yet in {directory}: a cut-short chain is only detected after one"]
    return VerifyResult(True, checked, checkpoints=len(marks), legacy=legacy, notes=notes)
