"""Notifications: created once per dedup key, optionally mailed, marked read by their recipient.

A notification's ``dedup_key`` is unique in the database. Creating one first skips the keys that
exist (one query per batch, so a tick that finds nothing new writes nothing and burns no sequence
values), then inserts the rest with ``ON CONFLICT DO NOTHING`` (SQLite, PostgreSQL) — or, on another
engine, one SAVEPOINT per row catching the IntegrityError — so two schedulers racing on the same key
still leave exactly one row, and only the one that inserted it enqueues the e-mail.

Callers say *what* to tell whom — a kind, a recipient, a dedup key and a context of plain values
(``notify``: the scheduler's ``domain.schedule.Reminder`` values, or ``Message`` from other areas); the
texts come from ``templates/mail/<kind>.txt``, rendered in Chinese and English (``services.texts``) into the
notification's four text columns. Mail is sent bilingual, the recipient's language first (``services.mail``).

Services flush; they never commit.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from ..errors import NotFound
from ..models import Notification, User, utcnow
from . import audit, mail, texts

BATCH = 200
TEXT_FIELDS = ("subject_zh", "subject_en", "body_zh", "body_en")


@dataclass(frozen=True)
class Message:
    """A notification to be made: ``kind`` names its template, ``context`` holds the plain values the texts
    are made from. (The scheduler's ``domain.schedule.Reminder`` has the same shape, without a link.)"""

    kind: str
    recipient_id: int
    dedup_key: str
    context: dict[str, Any]
    link: str = ""


@dataclass(frozen=True)
class Created:
    """A notification this call inserted (not one that existed already)."""

    id: int
    recipient_id: int
    kind: str
    dedup_key: str


def _row(data: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    row = {
        "recipient_id": int(data["recipient_id"]),
        "kind": str(data["kind"])[:40],
        "subject_zh": str(data["subject_zh"])[:300],
        "subject_en": str(data["subject_en"])[:300],
        "body_zh": str(data.get("body_zh") or ""),
        "body_en": str(data.get("body_en") or ""),
        "link": str(data.get("link") or "")[:300],
        "dedup_key": str(data["dedup_key"])[:200],
        "created_at": now,
    }
    return row


def existing_keys(session: Session, keys: Iterable[str]) -> set[str]:
    keys = list(dict.fromkeys(keys))
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        chunk = keys[start:start + 500]
        found.update(session.exec(select(Notification.dedup_key).where(Notification.dedup_key.in_(chunk))).all())
    return found


def _insert_ignoring_duplicates(session: Session, rows: list[dict[str, Any]]) -> list[Created]:
    """Insert rows; a row whose dedup key exists (or appears meanwhile) is skipped silently."""
    if not rows:
        return []
    dialect = session.get_bind().dialect.name
    table = Notification.__table__
    created: list[Created] = []
    if dialect in ("sqlite", "postgresql"):
        if dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        else:
            from sqlalchemy.dialects.postgresql import insert
        # one cached statement, executed with a list of parameter sets ("insertmanyvalues" batches them
        # into multi-row INSERTs): a .values(rows) statement would be compiled afresh for every batch
        stmt = (insert(table).on_conflict_do_nothing(index_elements=["dedup_key"])
                .returning(table.c.id, table.c.recipient_id, table.c.kind, table.c.dedup_key))
        for start in range(0, len(rows), BATCH):
            created.extend(Created(*r) for r in session.execute(stmt, rows[start:start + BATCH]).all())
    else:  # pragma: no cover - engines without ON CONFLICT
        for row in rows:
            try:
                with session.begin_nested():
                    result = session.execute(table.insert().values(**row).returning(table.c.id))
                    created.append(Created(result.scalar_one(), row["recipient_id"], row["kind"], row["dedup_key"]))
            except IntegrityError:
                continue
    created.sort(key=lambda c: c.id)
    return created


def create_many(session: Session, items: Iterable[Mapping[str, Any]], *, now: datetime | None = None,
                send_mail: bool | None = None, prechecked: bool = False) -> list[Created]:
    """Create notifications from mappings with the Notification columns (texts included; ``notify`` makes
    them from a kind and a context). Keys that exist are skipped (``prechecked``: the caller has just left them
    out). Each new one is queued for e-mail when mail is configured (``send_mail`` None: when MAIL_SERVER is
    set). Returns what was inserted."""
    now = now or utcnow()
    rows: dict[str, dict[str, Any]] = {}
    for item in items:
        row = _row(item, now)
        rows.setdefault(row["dedup_key"], row)  # the same key twice in one call: the first wins
    if not rows:
        return []
    seen = set() if prechecked else existing_keys(session, rows)
    fresh = [row for key, row in rows.items() if key not in seen]
    created = _insert_ignoring_duplicates(session, fresh)
    if created and (mail.mail_enabled() if send_mail is None else send_mail):
        by_key = {row["dedup_key"]: row for row in fresh}
        mail.enqueue_for(session, [(c.id, by_key[c.dedup_key]) for c in created], now=now)
    session.flush()
    return created


def create(session: Session, *, recipient_id: int, kind: str, subject_zh: str, subject_en: str, dedup_key: str,
           body_zh: str = "", body_en: str = "", link: str = "", now: datetime | None = None,
           send_mail: bool | None = None) -> Created | None:
    """Create one notification (for other areas); None when its dedup key exists already."""
    created = create_many(session, [{
        "recipient_id": recipient_id, "kind": kind, "subject_zh": subject_zh, "subject_en": subject_en,
        "body_zh": body_zh, "body_en": body_en, "link": link, "dedup_key": dedup_key,
    }], now=now, send_mail=send_mail)
    return created[0] if created else None


def notify(session: Session, messages: Iterable[Any], *, now: datetime | None = None, link_for=None,
           send_mail: bool | None = None) -> list[Created]:
    """Create the notifications of ``Message`` or domain ``Reminder`` values (anything with ``kind``,
    ``recipient_id``, ``dedup_key`` and ``context``), their texts rendered from ``templates/mail/<kind>.txt``
    in both languages. The link is ``link_for(message)`` when given, else the message's own ``link``.
    Keys that exist are left out before any text is rendered (a tick mostly finds everything sent already)."""
    messages = list(messages)
    seen = existing_keys(session, (m.dedup_key for m in messages))
    fresh = [m for m in messages if m.dedup_key not in seen]
    rendered = texts.render_many((m.kind, m.context) for m in fresh)
    items = []
    for message, text in zip(fresh, rendered):
        link = link_for(message) if link_for is not None else getattr(message, "link", "")
        items.append({"recipient_id": message.recipient_id, "kind": str(message.kind),
                      "dedup_key": message.dedup_key, "link": link or "", **text.fields()})
    return create_many(session, items, now=now, send_mail=send_mail, prechecked=True)


# --- reading state -----------------------------------------------------------------------------------

def get_own_or_404(session: Session, user: User, notification_id: int) -> Notification:
    """The user's own notification; another user's is reported as not found (no existence leak)."""
    row = session.get(Notification, notification_id)
    if row is None or row.recipient_id != user.id:
        raise NotFound(_l("No such notification."))
    return row


def mark_read(session: Session, user: User, notification_id: int, *, now: datetime | None = None) -> Notification:
    """Mark one of the user's notifications read; reading it again changes nothing."""
    row = get_own_or_404(session, user, notification_id)
    if row.read_at is None:
        now = now or utcnow()
        result = session.execute(update(Notification)
                                 .where(Notification.id == row.id, Notification.read_at.is_(None))
                                 .values(read_at=now))
        if result.rowcount:
            audit.record(session, user, "notification", row.id, "read", None, {"read_at": now})
        session.refresh(row)
    session.flush()
    return row


def mark_all_read(session: Session, user: User, *, now: datetime | None = None) -> int:
    """Mark every unread notification of the user read; returns how many changed."""
    now = now or utcnow()
    result = session.execute(update(Notification)
                             .where(Notification.recipient_id == user.id, Notification.read_at.is_(None))
                             .values(read_at=now))
    count = result.rowcount or 0
    if count:
        audit.record(session, user, "notification", None, "read_all", None, {"user_id": user.id, "count": count})
    session.flush()
    return count


def unread_count(session: Session, user_id: int) -> int:
    return int(session.exec(select(func.count(Notification.id))
                            .where(Notification.recipient_id == user_id, Notification.read_at.is_(None))).one())
