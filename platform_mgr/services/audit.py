"""The audit log: append-only events chained by SHA-256.

Each event's hash covers its own fields and the previous event's hash, so editing,
deleting or reordering any event breaks the chain from that point on. Appends are
serialised through the single ``audit_head`` row (row lock on PostgreSQL; SQLite's
write transactions are already exclusive), so concurrent writers cannot fork it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any, Iterable

from sqlmodel import Session, select

from ..canonical import canonical_json, iso_utc, sha256_hex
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


def event_hash(prev_hash: str, *, occurred_at: datetime, actor_id, actor_label, entity_type, entity_id,
               action, before, after) -> str:
    body = canonical_json(
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
    return sha256_hex(body)


def snapshot(obj: Any, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The audit view of a model: its columns (or the named ones) as JSON-able values."""
    if obj is None:
        return {}
    names = list(fields) if fields is not None else [c.name for c in obj.__table__.columns]
    return jsonable({name: getattr(obj, name) for name in names if name != "password_hash"})


def record(session: Session, actor: Any, entity_type: str, entity_id: int | None, action: str,
           before: dict | None = None, after: dict | None = None, *, at: datetime | None = None) -> AuditEvent:
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
    digest = event_hash(prev, occurred_at=occurred_at, actor_id=actor_id, actor_label=actor_label,
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


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    first_bad_id: int | None = None
    reason: str = ""


def verify(session: Session, batch: int = 2000) -> VerifyResult:
    """Walk the chain in id order; report the first event whose link or hash does not hold."""
    prev = GENESIS
    checked = 0
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
            expected = event_hash(prev, occurred_at=ev.occurred_at, actor_id=ev.actor_id, actor_label=ev.actor_label,
                                  entity_type=ev.entity_type, entity_id=ev.entity_id, action=ev.action,
                                  before=ev.before, after=ev.after)
            if expected != ev.hash:
                return VerifyResult(False, checked, ev.id, "content does not match its hash")
            prev = ev.hash
            checked += 1
            last_seen_id = ev.id
        last_id = rows[-1].id
        session.expunge_all()
    head = session.get(AuditHead, 1)
    if head is not None and (head.last_hash != prev or head.last_event_id != last_seen_id):
        return VerifyResult(False, checked, head.last_event_id, "events after the last intact one are missing")
    return VerifyResult(True, checked)
