"""key the audit chain (HMAC under AUDIT_KEY) and seal the eligibility snapshots (DESIGN §7, issue 16)

The first release chained the audit events by plain SHA-256: anyone who could write the database could edit an
event and recompute every hash. This migration re-keys the chain once: each event's ``hash`` becomes the HMAC of the
same fields under the installation's audit key (``AUDIT_KEY`` or ``instance/audit_key``), its plain digest is kept
in ``legacy_hash`` (still verified by ``flask audit verify``, so a digest quoted before today can still be matched),
and an ``audit_chain``/``rekey`` event closes the old chain, recording its head and the number of events. Every
eligibility snapshot whose payload still matches its digest gets its seal (an HMAC of its digests and rules); one
that does not is left unsealed, and so is reported as tampered.

Downgrade puts the plain SHA-256 chain back over every event (including those written since) and drops the columns.

Revision ID: 8d4f2a6c1b93
Revises: 5c2d8e41f7a3
Create Date: 2026-12-01 15:30:00
"""
from types import SimpleNamespace
from typing import Sequence, Union

from alembic import context, op
import sqlalchemy as sa

from platform_mgr.models.base import UTCDateTime

# revision identifiers, used by Alembic.
revision: str = '8d4f2a6c1b93'
down_revision: Union[str, None] = '5c2d8e41f7a3'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

BATCH = 2000
GENESIS = "0" * 64

events = sa.table(
    "audit_event", sa.column("id", sa.Integer), sa.column("occurred_at", UTCDateTime()),
    sa.column("actor_id", sa.Integer), sa.column("actor_label", sa.String), sa.column("entity_type", sa.String),
    sa.column("entity_id", sa.Integer), sa.column("action", sa.String), sa.column("before", sa.JSON),
    sa.column("after", sa.JSON), sa.column("prev_hash", sa.String), sa.column("hash", sa.String),
    sa.column("legacy_hash", sa.String))
head = sa.table("audit_head", sa.column("id", sa.Integer), sa.column("last_event_id", sa.Integer),
                sa.column("last_hash", sa.String))
snapshots = sa.table(
    "eligibility_snapshot", sa.column("id", sa.Integer), sa.column("cycle_id", sa.Integer),
    sa.column("rubric_version", sa.Integer), sa.column("rules", sa.JSON), sa.column("payload", sa.Text),
    sa.column("inputs_digest", sa.String), sa.column("payload_digest", sa.String),
    sa.column("export_digests", sa.JSON), sa.column("seal", sa.String))


def _key() -> bytes:
    """The installation's audit key: given by `flask db upgrade`, else the app's (environment or instance file)."""
    key = context.config.attributes.get("audit_key")
    if not key:
        from platform_mgr import create_app

        key = create_app().config["AUDIT_KEY"]
    return str(key).encode("utf-8")


def _fields(row) -> dict:
    return {"occurred_at": row.occurred_at, "actor_id": row.actor_id, "actor_label": row.actor_label,
            "entity_type": row.entity_type, "entity_id": row.entity_id, "action": row.action, "before": row.before,
            "after": row.after}


def _rechain(conn, digest) -> tuple[int, str, str, int | None]:
    """Recompute every event's link and hash with ``digest(prev, fields)``, keeping the old hash in legacy_hash
    when it is the first release's. Returns (events, old head, new head, last id)."""
    prev, old_head, count, last_id = GENESIS, GENESIS, 0, 0
    update = events.update().where(events.c.id == sa.bindparam("_id")).values(
        prev_hash=sa.bindparam("_prev"), hash=sa.bindparam("_hash"), legacy_hash=sa.bindparam("_legacy"))
    while True:
        rows = conn.execute(sa.select(events).where(events.c.id > last_id).order_by(events.c.id).limit(BATCH)).all()
        if not rows:
            break
        changes = []
        for row in rows:
            new = digest(prev, _fields(row))
            changes.append({"_id": row.id, "_prev": prev, "_hash": new, "_legacy": digest.legacy(row)})
            prev, old_head = new, row.hash
        conn.execute(update, changes)
        count += len(rows)
        last_id = rows[-1].id
    return count, old_head, prev, (last_id or None)


def upgrade() -> None:
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('legacy_hash', sa.String(length=64), nullable=True))
    with op.batch_alter_table('eligibility_snapshot', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seal', sa.String(length=64), nullable=True))

    conn = op.get_bind()
    has_events = conn.execute(sa.select(sa.func.count()).select_from(events)).scalar_one() > 0
    has_snapshots = conn.execute(sa.select(sa.func.count()).select_from(snapshots)).scalar_one() > 0
    if not (has_events or has_snapshots):
        return
    from platform_mgr import clock
    from platform_mgr.canonical import sha256_hex
    from platform_mgr.services import audit
    from platform_mgr.services.eligibility import snapshot_seal

    key = _key()
    if has_events:
        def keyed(prev, fields):
            return audit.event_hash(key, prev, **fields)
        keyed.legacy = lambda row: row.hash
        count, old_head, new_head, last_id = _rechain(conn, keyed)
        # the event that ends the unkeyed chain: what it held, under the new key
        fields = {"occurred_at": clock.now(), "actor_id": None, "actor_label": "system", "entity_type": "audit_chain",
                  "entity_id": None, "action": "rekey", "before": None,
                  "after": {"events": count, "legacy_head": old_head, "key_id": audit.key_id(key)}}
        digest = audit.event_hash(key, new_head, **fields)
        conn.execute(events.insert().values(prev_hash=new_head, hash=digest, **fields))
        rekey_id = conn.execute(sa.select(sa.func.max(events.c.id))).scalar_one()
        if conn.execute(sa.select(head.c.id).where(head.c.id == 1)).first() is None:
            conn.execute(head.insert().values(id=1, last_event_id=rekey_id, last_hash=digest))
        else:
            conn.execute(head.update().where(head.c.id == 1).values(last_event_id=rekey_id, last_hash=digest))
    for row in conn.execute(sa.select(snapshots)).all():
        if sha256_hex(row.payload) != row.payload_digest:
            continue  # altered already: left unsealed, it is reported as tampered
        seal = snapshot_seal(SimpleNamespace(**row._mapping), key)
        conn.execute(snapshots.update().where(snapshots.c.id == row.id).values(seal=seal))


def downgrade() -> None:
    conn = op.get_bind()
    from platform_mgr.services import audit

    def plain(prev, fields):
        return audit.legacy_event_hash(prev, **fields)
    plain.legacy = lambda row: None
    count, _old, new_head, last_id = _rechain(conn, plain)
    if count:
        conn.execute(head.update().where(head.c.id == 1).values(last_event_id=last_id, last_hash=new_head))
    with op.batch_alter_table('eligibility_snapshot', schema=None) as batch_op:
        batch_op.drop_column('seal')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_column('legacy_hash')
