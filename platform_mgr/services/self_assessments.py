"""The operator's self-assessment of a platform in a cycle: one narrative per dimension, attachments.

Editable by the platform's operators (and admins) while the cycle is a draft or open; reviewers
assigned to the platform in that cycle read it beside the scoring form. Attachments are EvidenceFile
rows (``self_assessment_id``) stored under generated names in ``UPLOAD_DIR/self_assessments`` by the
evidence service's one upload check (size, type decided by content) before anything is written.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import flag_modified
from sqlmodel import Session

from ..errors import Conflict, Invalid, StateConflict
from ..i18n import label
from ..inputs.cycles import SelfAssessmentPut
from ..models import EvidenceFile, Platform, ReviewCycle, SelfAssessment, utcnow
from ..queries.cycles import get_self_assessment, self_assessment_files
from . import audit
from .assignments import lock_cycle_state

NARRATIVES = ("verification", "service", "operating")
MAX_FILES = 20
EDITABLE_STATES = ("draft", "open")
SUBDIR = "self_assessments"

# shown on the form; the check itself is the evidence service's (services/evidence.py: store_upload)
ALLOWED_TYPES = ("csv", "docx", "jpeg", "jpg", "pdf", "png", "pptx", "txt", "xlsx")


def _require_editable(session: Session, cycle: ReviewCycle) -> None:
    state = lock_cycle_state(session, cycle)
    if state not in EDITABLE_STATES:
        raise StateConflict(_l("The cycle is %(state)s: the self-assessment can no longer change.",
                               state=label(state, "CycleState")), subject="cycle", state=state)


def _snapshot(sa: SelfAssessment) -> dict:
    return audit.snapshot(sa, ("cycle_id", "platform_id") + NARRATIVES)


def get_or_create(session: Session, cycle: ReviewCycle, platform: Platform) -> SelfAssessment:
    sa = get_self_assessment(session, cycle.id, platform.id)
    if sa is None:
        sa = SelfAssessment(cycle_id=cycle.id, platform_id=platform.id)
        try:
            with session.begin_nested():  # added inside the savepoint: beginning it flushes what is pending
                session.add(sa)
                session.flush()
        except IntegrityError:  # created concurrently by a colleague: use theirs
            sa = get_self_assessment(session, cycle.id, platform.id)
    return sa


def save_self_assessment(session: Session, actor, cycle: ReviewCycle, platform: Platform, data: SelfAssessmentPut, *,
                         now: datetime | None = None) -> SelfAssessment:
    """Write the narratives sent (verification / service / operating; null clears one); ``data.version``, the
    version read (0 while none exists yet), is required: a stale one is refused (409), so one operator never
    silently overwrites a colleague's text."""
    now = now or utcnow()
    _require_editable(session, cycle)
    version = data.version
    clean = {key: (value or "").replace("\r\n", "\n")
             for key, value in data.model_dump(exclude_unset=True, exclude={"version"}).items()}
    existing = get_self_assessment(session, cycle.id, platform.id)
    if (existing.version if existing is not None else 0) != version:
        raise Conflict(_l("This record was changed by someone else. Reload and try again."),
                       fields={"version": _l("Stale version.")})
    if existing is None:
        sa = SelfAssessment(cycle_id=cycle.id, platform_id=platform.id, **clean)
        before = None
    else:
        sa, before = existing, _snapshot(existing)
        for key, value in clean.items():
            setattr(sa, key, value)
        flag_modified(sa, "updated_by_id")  # every accepted write is a new version, even one that changes no text
    sa.updated_by_id = getattr(actor, "id", None)
    try:
        with session.begin_nested():  # added inside the savepoint: beginning it flushes what is pending
            session.add(sa)
            session.flush()
    except IntegrityError:  # a colleague created it at the same moment
        raise Conflict(_l("This record was changed by someone else. Reload and try again.")) from None
    audit.record(session, actor, "self_assessment", sa.id, "update" if existing is not None else "create", before,
                 _snapshot(sa), at=now)
    return sa


# --- attachments --------------------------------------------------------------------------------

def upload_root() -> Path:
    return Path(current_app.config["UPLOAD_DIR"]) / SUBDIR


def file_path(f: EvidenceFile) -> Path:
    return upload_root() / f.stored_name


def add_attachment(session: Session, actor, cycle: ReviewCycle, platform: Platform, stream: BinaryIO,
                   filename: str) -> EvidenceFile:
    """Store an uploaded file for the self-assessment through the evidence service's one upload check:
    413 when too large, 422 for a type the content does not show to be accepted."""
    from .evidence import max_upload_bytes, store_upload, zip_limits

    _require_editable(session, cycle)
    sa = get_or_create(session, cycle, platform)
    if len(self_assessment_files(session, sa.id)) >= MAX_FILES:
        raise Invalid(_l("At most %(n)d attachments.", n=MAX_FILES), fields={"file": _l("Too many items.")})
    stored = store_upload(stream, filename, upload_dir=upload_root(), max_bytes=max_upload_bytes(current_app.config),
                          prefix="sa-", zip_limits=zip_limits(current_app.config))
    try:
        f = EvidenceFile(self_assessment_id=sa.id, original_name=stored.original_name, stored_name=stored.stored_name,
                         content_type=stored.content_type, size_bytes=stored.size_bytes, sha256=stored.sha256,
                         uploaded_by_id=getattr(actor, "id", None))
        session.add(f)
        session.flush()
        audit.record(session, actor, "self_assessment", sa.id, "attach", None,
                     {"file_id": f.id, "name": f.original_name, "size": f.size_bytes, "sha256": f.sha256})
    except BaseException:
        stored.path.unlink(missing_ok=True)
        raise
    return f


def remove_attachment(session: Session, actor, cycle: ReviewCycle, f: EvidenceFile) -> None:
    _require_editable(session, cycle)
    before = {"file_id": f.id, "name": f.original_name, "sha256": f.sha256}
    sa_id = f.self_assessment_id
    session.delete(f)
    session.flush()
    audit.record(session, actor, "self_assessment", sa_id, "detach", before, None)
    # the stored bytes stay on disk: access goes through the row, and deleting them here would lose the
    # file if the transaction were rolled back afterwards
