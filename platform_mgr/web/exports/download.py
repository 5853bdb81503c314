"""Downloads of the export registry over HTTP, shared by the web pages and the JSON API.

`resolve_table` checks the caller may have the export and asks the registry for it; `send_table`
turns it into a response: CSV streamed row by row (`stream_with_context`), XLSX in one piece.

``X-Content-SHA256`` is the hex SHA-256 of exactly the bytes sent.  Every XLSX and every cycle list
carries it (a cycle list is held in memory, so its CSV is hashed in a first pass and then
streamed); a frozen list's digest is the one its snapshot recorded at the close (recorded on the
first download if the snapshot lacks it).  A platform's live CSV (projects, milestones, outcomes)
is streamed straight from the database and carries none.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator

from flask import Response, stream_with_context
from flask_babel import lazy_gettext as _l

from ... import permissions
from ...canonical import sha256_hex
from ...db import get_session, new_session
from ...errors import Forbidden, Invalid, NotFound
from ...exports import EXPORTS, FORMATS, MIMETYPES, Table
from ...i18n import shanghai_today
from ...models import EligibilitySnapshot
from ...permissions import Actor
from ...queries import eligibility as eq
from ...queries import platforms as pq
from ...services.eligibility import get_eligibility, record_export_digest

log = logging.getLogger(__name__)


def _int_or_none(name: str, raw: str | None) -> int | None:
    if raw in (None, ""):
        return None
    try:
        value = int(raw)
    except ValueError:
        raise Invalid(_l("Please correct the marked fields."), fields={name: _l("Enter a whole number.")}) from None
    if not 0 <= value <= 2**31 - 1:  # no row has an id outside an integer column's range
        raise NotFound(_l("No such export."))
    return value


def resolve_table(session, actor: Actor, name: str, fmt: str, *, cycle: str | None = None,
                  platform: str | None = None) -> Table:
    """The table of export `name` for the requested cycle or platform, after the permission check.

    Unknown export or format → 404; a missing or malformed ``cycle``/``platform`` → 422 naming it;
    a caller who may not have it → 403.  Non-admins receive the public variant of the eligibility
    list (no per-platform explanations; an operator reads their own on the eligibility page).
    """
    spec = EXPORTS.get(name)
    if spec is None or fmt not in FORMATS:
        raise NotFound(_l("No such export."))
    if spec.scope == "cycle":
        cycle_id = _int_or_none("cycle", cycle)
        if cycle_id is None:
            raise Invalid(_l("Please correct the marked fields."), fields={"cycle": _l("This field is required.")})
        subject = eq.get_cycle_or_404(session, cycle_id)
        if not permissions.can_export(actor, name, cycle=subject):
            raise Forbidden(_l("You do not have permission to do this."))
        return spec.from_result(get_eligibility(session, subject), public=not actor.is_admin)
    if platform in (None, ""):
        raise Invalid(_l("Please correct the marked fields."), fields={"platform": _l("This field is required.")})
    if platform == "all":  # every platform's rows, streamed: the commission only
        if not permissions.can_export(actor, name, platform=None):
            raise Forbidden(_l("You do not have permission to do this."))
        return spec.table(session, None, today=shanghai_today())
    if platform.isascii() and platform.isdigit():
        subject = pq.get_platform_or_404(session, _int_or_none("platform", platform))
    else:
        subject = pq.get_platform_by_code(session, platform)
        if subject is None:
            raise NotFound(_l("No such platform."))
    if not permissions.can_export(actor, name, platform=subject):
        raise Forbidden(_l("You do not have permission to do this."))
    return spec.table(session, subject, today=shanghai_today())


def _remember_digest(table: Table, fmt: str, digest: str) -> None:
    """Make sure the snapshot records the digest of what we send (in its own short transaction)."""
    snapshot = table.snapshot
    key = table.key(fmt)
    if snapshot is None or key is None:
        return
    recorded = (snapshot.export_digests or {}).get(key)
    if recorded == digest:
        return
    if recorded is not None:  # the code that writes exports changed since the freeze
        log.error("export %s of snapshot %s: sha256 %s differs from the recorded %s", key, snapshot.id, digest,
                  recorded)
        return
    with new_session(write=True) as s:
        row = s.get(EligibilitySnapshot, snapshot.id)
        if row is not None and record_export_digest(s, row, key, digest):
            s.commit()


def _then_end_session(chunks: Iterator[bytes], session) -> Iterator[bytes]:
    """The CSV's chunks, then the end of the session its rows are read with. The request's teardown closes that
    session before the first row is read (``stream_with_context`` pushes the request again only to iterate), so
    the rows are read in a transaction of its own: end it when the stream ends, read to the end or closed, rather
    than leave the connection idle in a transaction (holding its locks, out of the pool) until the session is
    garbage-collected."""
    try:
        yield from chunks
    finally:
        session.close()


def send_table(table: Table, fmt: str) -> Response:
    filename = f"{table.filename}.{fmt}"
    digest = None
    if fmt == "csv":
        if table.hashable:
            digest = table.sha256("csv")  # a first pass over the rows held in memory, then the stream
        response = Response(stream_with_context(_then_end_session(table.csv_chunks(), get_session())),
                            mimetype="text/csv")
    else:
        data = table.xlsx_bytes()
        digest = sha256_hex(data)
        response = Response(data, mimetype=MIMETYPES["xlsx"])
    response.headers["Content-Type"] = MIMETYPES[fmt]
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    if digest is not None:
        response.headers["X-Content-SHA256"] = digest
        if table.reproducible:
            _remember_digest(table, fmt, digest)
    return response
