"""Integrity of what the commission published: the incident of a tampered snapshot, and the whole check.

``report_tampered`` records that a frozen snapshot was found altered (an audit event) and tells the active admins
(a notification, mailed when mail is configured), once per snapshot and altered content however often it is
read. ``verify_all`` is ``flask audit verify``: the keyed audit chain against its checkpoints, then every snapshot
(payload, seal) and every export digest a snapshot recorded, recomputed from the payload.

Services flush; they never commit.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlmodel import Session, select

from ..errors import SnapshotTampered
from ..exports import snapshot_digests
from ..models import AuditEvent, EligibilitySnapshot, ReviewCycle
from ..queries.jobs import active_admin_ids
from . import audit, notifications
from .eligibility import result_from_snapshot, snapshot_problem

MAIL_KINDS = ("snapshot_tampered",)


def report_tampered(session: Session, exc: SnapshotTampered, *, now: datetime) -> bool:
    """Record and notify the tampering ``exc`` describes unless this altered content was reported already.
    Returns True when it was reported now."""
    seen = session.exec(select(AuditEvent.after).where(
        AuditEvent.entity_type == "eligibility_snapshot", AuditEvent.entity_id == exc.snapshot_id,
        AuditEvent.action == "tamper_detected")).all()
    if any((after or {}).get("observed_digest") == exc.observed_digest for after in seen):
        return False
    cycle = session.get(ReviewCycle, exc.cycle_id)
    name = cycle.name if cycle is not None else f"#{exc.cycle_id}"
    audit.record(session, None, "eligibility_snapshot", exc.snapshot_id, "tamper_detected", None, {
        "cycle_id": exc.cycle_id, "observed_digest": exc.observed_digest, "reason": exc.reason}, at=now)
    admins = active_admin_ids(session)
    notifications.notify(session, [
        notifications.Message(MAIL_KINDS[0], uid,
                              f"snapshot_tampered:snapshot={exc.snapshot_id}:digest={exc.observed_digest}:user={uid}",
                              {"cycle_name": name, "observed_digest": exc.observed_digest},
                              link=f"/cycles/{exc.cycle_id}")
        for uid in admins], now=now)
    return True


@dataclass
class Report:
    chain: audit.VerifyResult
    snapshots: int = 0
    exports: int = 0
    problems: list[str] = field(default_factory=list)  # snapshots and exports that do not hold

    @property
    def ok(self) -> bool:
        return self.chain.ok and not self.problems


def verify_all(session: Session, *, key: bytes | None = None, checkpoint_dir: Path | None = None) -> Report:
    key = key if key is not None else audit.current_key()
    report = Report(chain=audit.verify(session, key=key, checkpoint_dir=checkpoint_dir))
    rows = session.exec(select(EligibilitySnapshot, ReviewCycle.name).join(
        ReviewCycle, ReviewCycle.id == EligibilitySnapshot.cycle_id).order_by(EligibilitySnapshot.id)).all()
    for snapshot, cycle_name in rows:
        report.snapshots += 1
        where = f"snapshot {snapshot.id} (cycle {snapshot.cycle_id} “{cycle_name}”)"
        problem = snapshot_problem(snapshot, key)
        if problem is not None:
            report.problems.append(f"{where}: {problem}")
            continue
        recomputed = snapshot_digests(result_from_snapshot(snapshot))
        for name, recorded in sorted((snapshot.export_digests or {}).items()):
            report.exports += 1
            if recomputed.get(name) != recorded:
                report.problems.append(f"{where}: export {name} no longer has its recorded SHA-256 {recorded} "
                                       f"(now {recomputed.get(name, 'not produced')})")
    return report
