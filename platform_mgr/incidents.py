"""Incidents found while answering a request, kept although the request's own transaction is rolled back.

Called by the error handlers (the app's and the API's) for a ``SnapshotTampered``: the report is written in a short
transaction of its own (services.integrity.report_tampered), and logged; a failure to write it is logged too and
never hides the answer.
"""
from __future__ import annotations

import logging

from . import clock
from .errors import AppError, SnapshotTampered

log = logging.getLogger(__name__)


def record(exc: AppError) -> None:
    if not isinstance(exc, SnapshotTampered):
        return
    log.error("eligibility snapshot %s of cycle %s is tampered: %s (payload sha256 now %s)", exc.snapshot_id,
              exc.cycle_id, exc.reason, exc.observed_digest)
    from .db import new_session
    from .services import integrity

    try:
        with new_session(write=True) as session:
            if integrity.report_tampered(session, exc, now=clock.now()):
                session.commit()
    except Exception:  # noqa: BLE001 - the answer (409) goes out whatever happens here
        log.exception("could not record the tampering of snapshot %s", exc.snapshot_id)
