"""Funding eligibility of a review cycle (DESIGN §5): live, simulated and frozen.

* `compute` gathers the facts with a fixed handful of SQL aggregates (queries/eligibility.py and
  queries/scores.py), hands them to the pure `domain.eligibility.evaluate`, and returns an
  `EligibilityResult` marked provisional.
* `freeze_snapshot` (called by close_cycle, same transaction) stores the result as canonical JSON
  together with the *inputs* it was computed from (rubric, reviews, per-platform facts), their
  digest, and the SHA-256 of every export of the frozen list.  A closed or published cycle is read
  from that text and never recomputed, so later data changes alter neither the list nor the bytes
  of its exports. Every read checks the text against its digest and the digests against their seal (an
  HMAC under the audit key): a snapshot edited in the database is never served (409 ``snapshot_tampered``).
* `simulate` (the admins' what-if) evaluates the same inputs with other thresholds or budget — the
  frozen inputs for a closed cycle, the live ones otherwise — and writes nothing.

Data decisions, documented where they are made:
* R4 and R5 are measured "at the window's end"; while the window is still running (a live run, or
  a cycle closed before its window ended) they are measured on the day of the run instead
  (`as_of = min(window_end, today)`), so milestones not yet due are never counted as late.
* Milestones of killed or withdrawn projects do not count for R4 (queries.eligibility.
  EXCLUDED_PROJECT_STATUSES); gates passed by such projects before they stopped still count for R5.
* Evaluated platforms: every platform that is not delisted, plus any platform with an assignment
  in the cycle.
"""
from __future__ import annotations

import dataclasses
import hmac
import json
import re
from collections.abc import Mapping
from datetime import date, datetime, timezone
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from ..canonical import canonical_json, hmac_hex, iso_utc, sha256_hex
from ..domain.eligibility import MilestoneFigures, PlatformFacts, RuleSet, RuleSetError, Verdict, evaluate
from ..domain.rubric import CriterionDef, Dimension, dimension_max_points
from ..domain.scoring import ReviewInput, aggregate
from ..errors import Invalid, SnapshotTampered
from ..exports import snapshot_digests
from ..i18n import shanghai_today
from ..messages import message_for
from ..models import EligibilitySnapshot, ReviewCycle
from ..queries import eligibility as q
from ..queries.scores import load_review_inputs
from . import audit

FORMAT = 2  # 2: exports headed with docs/glossary.md's terms; a format-1 snapshot keeps its old headers (exports)
FROZEN_STATES = ("closed", "published")
_ZERO_MILESTONES = MilestoneFigures(max_must_meet_overdue_days=0, due_in_window=0, on_time_in_window=0)


# --------------------------------------------------------------------------------------------------
# inputs: everything the rules read, as plain values that round-trip through JSON


@dataclasses.dataclass(frozen=True)
class PlatformInputs:
    id: int
    code: str
    name_zh: str
    name_en: str
    field: str
    origin: str
    host_institution: str
    status: str
    integrity_flag: bool
    milestones: MilestoneFigures
    gates_passed: int

    def to_json(self) -> dict[str, Any]:
        m = self.milestones
        return {"id": self.id, "code": self.code, "name_zh": self.name_zh, "name_en": self.name_en,
                "field": self.field, "origin": self.origin, "host_institution": self.host_institution,
                "status": self.status, "integrity_flag": self.integrity_flag,
                "milestones": [m.max_must_meet_overdue_days, m.due_in_window, m.on_time_in_window],
                "gates_passed": self.gates_passed}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PlatformInputs:
        overdue, due, on_time = data["milestones"]
        return cls(id=data["id"], code=data["code"], name_zh=data["name_zh"], name_en=data["name_en"],
                   field=data["field"], origin=data["origin"], host_institution=data["host_institution"],
                   status=data["status"], integrity_flag=bool(data["integrity_flag"]),
                   milestones=MilestoneFigures(overdue, due, on_time), gates_passed=data["gates_passed"])


@dataclasses.dataclass(frozen=True)
class EligibilityInputs:
    window_start: date
    window_end: date
    as_of: date
    rubric_version: int
    criteria: tuple[CriterionDef, ...]
    reviews: tuple[ReviewInput, ...]
    platforms: tuple[PlatformInputs, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "window_start": self.window_start.isoformat(),
            "window_end": self.window_end.isoformat(),
            "as_of": self.as_of.isoformat(),
            "rubric_version": self.rubric_version,
            "criteria": [[c.code, str(c.dimension), c.max_tenths, c.name_zh, c.name_en] for c in self.criteria],
            "reviews": [[r.reviewer_id, r.platform_id, bool(r.submitted), bool(r.conflict), dict(r.scores)]
                        for r in sorted(self.reviews, key=lambda r: (r.platform_id, r.reviewer_id))],
            "platforms": [p.to_json() for p in sorted(self.platforms, key=lambda p: p.code)],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> EligibilityInputs:
        return cls(
            window_start=date.fromisoformat(data["window_start"]),
            window_end=date.fromisoformat(data["window_end"]),
            as_of=date.fromisoformat(data["as_of"]),
            rubric_version=data["rubric_version"],
            criteria=tuple(CriterionDef(code=c, dimension=Dimension(d), max_tenths=m, name_zh=zh, name_en=en,
                                        guidance_zh="", guidance_en="")
                           for c, d, m, zh, en in data["criteria"]),
            reviews=tuple(ReviewInput(reviewer_id=rv, platform_id=pid, scores=dict(scores), submitted=sub,
                                      conflict=conf) for rv, pid, sub, conf, scores in data["reviews"]),
            platforms=tuple(PlatformInputs.from_json(p) for p in data["platforms"]),
        )

    def digest(self) -> str:
        return sha256_hex(canonical_json(self.to_json()))


def gather_inputs(session: Session, cycle: ReviewCycle, *, today: date | None = None) -> EligibilityInputs:
    """The facts of a cycle from the database: six queries whatever the programme's size."""
    today = today or shanghai_today()
    as_of = min(cycle.window_end, today)
    platforms = q.platforms_for_cycle(session, cycle)
    milestones = q.milestone_figures_by_platform(session, cycle.window_start, as_of)
    gates = q.gates_passed_by_platform(session, cycle.window_start, as_of)
    criteria, reviews = load_review_inputs(session, cycle)
    return EligibilityInputs(
        window_start=cycle.window_start,
        window_end=cycle.window_end,
        as_of=as_of,
        rubric_version=q.rubric_version(session, cycle.rubric_id),
        criteria=tuple(criteria),
        reviews=tuple(reviews),
        platforms=tuple(PlatformInputs(
            id=p.id, code=p.code, name_zh=p.name_zh, name_en=p.name_en, field=p.field, origin=p.origin,
            host_institution=p.host_institution, status=p.status, integrity_flag=bool(p.integrity_flag),
            milestones=milestones.get(p.id, _ZERO_MILESTONES), gates_passed=gates.get(p.id, 0),
        ) for p in platforms),
    )


# --------------------------------------------------------------------------------------------------
# evaluation: inputs + rules + budget → the document (rows, results, summary)


def _float(value) -> float | None:
    return None if value is None else float(value)


def build_document(cycle: ReviewCycle, inputs: EligibilityInputs, rules: RuleSet, budget: int, *,
                   frozen_at: datetime | None = None) -> dict[str, Any]:
    """The whole result as a JSON-able document: the same shape live, simulated and frozen."""
    known = {p.id for p in inputs.platforms}
    reviews = [r for r in inputs.reviews if r.platform_id in known]
    results = aggregate(inputs.criteria, reviews, dispute_spread=rules.dispute_spread)
    dimension_max = dimension_max_points(inputs.criteria)
    by_id = {p.id: p for p in inputs.platforms}
    facts = [PlatformFacts(
        platform_id=p.id, code=p.code, field=p.field, origin=p.origin, status=p.status,
        integrity_flag=p.integrity_flag, result=results.get(p.id), dimension_max=dimension_max,
        milestones=p.milestones, gates_passed_in_window=p.gates_passed,
    ) for p in inputs.platforms]
    rows = evaluate(rules, facts, budget)

    dimension_keys = [str(d) for d in dimension_max] or [str(d) for d in Dimension]
    out_rows: list[dict[str, Any]] = []
    out_results: list[dict[str, Any]] = []
    for row in rows:
        p = by_id[row.platform_id]
        result = results.get(p.id)
        n = result.n if result is not None else 0
        dims = {k: (_float(result.dimensions.get(Dimension(k))) if result is not None else None)
                for k in dimension_keys}
        meta = {"platform_id": p.id, "code": p.code, "name_zh": p.name_zh, "name_en": p.name_en, "field": p.field,
                "origin": p.origin, "host_institution": p.host_institution, "status": p.status}
        data = row.to_dict()
        data.update(meta)
        data["n_reviews"] = n
        data["dimensions"] = dims
        out_rows.append(data)
        out_results.append({
            **meta, "rank": row.rank, "n_reviews": n,
            "total": _float(result.total) if result is not None else None,
            "std": _float(result.std) if result is not None else None,
            "min": _float(result.min) if result is not None else None,
            "max": _float(result.max) if result is not None else None,
            "dimensions": dims,
            "normalised_total": _float(result.normalised_total) if result is not None else None,
            "disputed": bool(result.disputed) if result is not None else False,
        })

    awarded = sum(r["award"] for r in out_rows)
    verdicts = [r["verdict"] for r in out_rows]
    summary = {
        "platforms": len(out_rows),
        "scored": sum(1 for r in out_rows if r["rank"] is not None),
        "eligible": verdicts.count(str(Verdict.ELIGIBLE)),
        "conditional": verdicts.count(str(Verdict.CONDITIONAL)),
        "ineligible": verdicts.count(str(Verdict.INELIGIBLE)),
        "funded": sum(1 for r in out_rows if r["award"] > 0),
        "unfunded_eligible": sum(1 for r in out_rows if r["verdict"] == "eligible" and r["award"] == 0),
        "tier_a": sum(1 for r in out_rows if r["tier"] == "A"),
        "tier_b": sum(1 for r in out_rows if r["tier"] == "B"),
        "awarded_a": sum(r["award"] for r in out_rows if r["tier"] == "A"),
        "awarded_b": sum(r["award"] for r in out_rows if r["tier"] == "B"),
        "awarded": awarded,
        "remaining": budget - awarded,
    }
    inputs_json = inputs.to_json()
    return {
        "format": FORMAT,
        "cycle": {"id": cycle.id, "name": cycle.name, "window_start": cycle.window_start.isoformat(),
                  "window_end": cycle.window_end.isoformat()},
        "as_of": inputs.as_of.isoformat(),
        "frozen_at": None if frozen_at is None else iso_utc(frozen_at),
        "rubric_version": inputs.rubric_version,
        "rules": rules.to_dict(),
        "budget": budget,
        "summary": summary,
        "rows": out_rows,
        "results": out_results,
        "inputs": inputs_json,
        "inputs_digest": sha256_hex(canonical_json(inputs_json)),
    }


# --------------------------------------------------------------------------------------------------
# the result object the pages, the API and the exports read


@dataclasses.dataclass(frozen=True)
class EligibilityResult:
    """One cycle's eligibility: `document` is the JSON document (see `build_document`).

    `provisional`: computed live (open or draft cycle, or a closed cycle that has no snapshot);
    `simulated`: a what-if with other thresholds, never stored; `snapshot`: the frozen row it was
    read from, when it was.
    """

    cycle_id: int
    document: dict[str, Any]
    provisional: bool
    simulated: bool = False
    snapshot: EligibilitySnapshot | None = None

    @property
    def frozen(self) -> bool:
        return self.snapshot is not None and not self.simulated

    @property
    def rows(self) -> list[dict[str, Any]]:
        return self.document["rows"]

    @property
    def results(self) -> list[dict[str, Any]]:
        return self.document["results"]

    @property
    def summary(self) -> dict[str, Any]:
        return self.document["summary"]

    @property
    def rules(self) -> RuleSet:
        return RuleSet.from_overrides(self.document["rules"])

    @property
    def budget(self) -> int:
        return self.document["budget"]

    @property
    def as_of(self) -> date:
        return date.fromisoformat(self.document["as_of"])

    @property
    def rubric_version(self) -> int:
        return self.document["rubric_version"]

    @property
    def inputs_digest(self) -> str:
        return self.document["inputs_digest"]

    @property
    def frozen_at(self) -> datetime | None:
        """When the snapshot was taken (UTC), from the snapshot row so it is exactly what was stored."""
        if self.snapshot is None:
            return None
        value = self.snapshot.created_at
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)

    @property
    def payload_digest(self) -> str | None:
        return self.snapshot.payload_digest if self.frozen else None

    def row_for(self, platform_id: int) -> dict[str, Any] | None:
        for row in self.rows:
            if row["platform_id"] == platform_id:
                return row
        return None

    def filtered(self, *, verdict: str | None = None, grade: str | None = None, field: str | None = None,
                 origin: str | None = None) -> list[dict[str, Any]]:
        out = []
        for row in self.rows:
            if verdict and row["verdict"] != verdict:
                continue
            if grade and (row["grade"] or "none") != grade:
                continue
            if field and row["field"] != field:
                continue
            if origin and row["origin"] != origin:
                continue
            out.append(row)
        return out

    def inputs(self) -> EligibilityInputs:
        return EligibilityInputs.from_json(self.document["inputs"])


def snapshot_seal(snapshot: EligibilitySnapshot, key: bytes) -> str:
    """The HMAC under the audit key of what a snapshot's payload is checked against: its digests (payload, inputs,
    exports), its rules and rubric version, and its cycle. Without the key, no edit can make a new one."""
    return hmac_hex(key, "eligibility_snapshot:" + canonical_json({
        "cycle_id": snapshot.cycle_id, "rubric_version": snapshot.rubric_version, "rules": snapshot.rules,
        "payload_digest": snapshot.payload_digest, "inputs_digest": snapshot.inputs_digest,
        "export_digests": snapshot.export_digests or {},
    }))


def snapshot_problem(snapshot: EligibilitySnapshot, key: bytes) -> str | None:
    """Why the snapshot cannot be trusted, or None when its payload matches its digest and its seal holds."""
    if sha256_hex(snapshot.payload) != snapshot.payload_digest:
        return "payload does not match its recorded digest"
    if snapshot.seal is None or not hmac.compare_digest(snapshot.seal, snapshot_seal(snapshot, key)):
        return "digests do not match their seal (edited without the audit key)"
    return None


def verified_snapshot(snapshot: EligibilitySnapshot, cycle_name: str) -> EligibilitySnapshot:
    """The snapshot, after checking it; SnapshotTampered (409 ``snapshot_tampered``) naming the cycle otherwise."""
    reason = snapshot_problem(snapshot, audit.current_key())
    if reason is not None:
        raise SnapshotTampered(
            _l("The frozen eligibility of cycle “%(name)s” does not match its recorded digest, so it is not shown. "
               "The administrators have been notified.", name=cycle_name),
            snapshot_id=snapshot.id, cycle_id=snapshot.cycle_id, observed_digest=sha256_hex(snapshot.payload),
            reason=reason)
    return snapshot


def _seal(snapshot: EligibilitySnapshot) -> None:
    snapshot.seal = snapshot_seal(snapshot, audit.current_key())


def result_from_snapshot(snapshot: EligibilitySnapshot) -> EligibilityResult:
    """The result a snapshot holds, as it is (callers that serve it check it first: verified_snapshot)."""
    return EligibilityResult(cycle_id=snapshot.cycle_id, document=json.loads(snapshot.payload), provisional=False,
                             snapshot=snapshot)


# --------------------------------------------------------------------------------------------------
# use cases


def rules_for(cycle: ReviewCycle) -> RuleSet:
    """The cycle's rule set (its overrides applied to the defaults); a bad override is a 422."""
    return _rules(cycle.rules or {})


def _rules(overrides: Mapping[str, Any]) -> RuleSet:
    try:
        return RuleSet.from_overrides(overrides)
    except RuleSetError as exc:
        message = message_for(exc)
        raise Invalid(message, fields={exc.field: message}) from None


def compute(session: Session, cycle: ReviewCycle, rules: RuleSet | None = None, *,
            today: date | None = None) -> EligibilityResult:
    """The live (provisional) eligibility of a cycle from the current data."""
    rules = rules or rules_for(cycle)
    inputs = gather_inputs(session, cycle, today=today)
    return EligibilityResult(cycle_id=cycle.id, document=build_document(cycle, inputs, rules, cycle.budget),
                             provisional=True)


def get_eligibility(session: Session, cycle: ReviewCycle) -> EligibilityResult:
    """Closed/published: the frozen snapshot, never recomputed.  Open or draft: live and provisional.

    A closed cycle without a snapshot (it should not happen: close_cycle freezes one) is shown live
    and provisional rather than not at all.
    """
    if cycle.state in FROZEN_STATES:
        snapshot = q.get_snapshot(session, cycle.id)
        if snapshot is not None:
            return result_from_snapshot(verified_snapshot(snapshot, cycle.name))
    return compute(session, cycle)


def simulate(session: Session, cycle: ReviewCycle, overrides: Mapping[str, Any], *, budget: int | str | None = None,
             today: date | None = None) -> EligibilityResult:
    """What-if: the cycle evaluated with other thresholds (and budget).  Writes nothing.

    `overrides` are applied on top of the cycle's effective rules.  A frozen cycle is re-evaluated
    from the inputs stored in its snapshot, so the simulation differs from the published list only
    by the thresholds; an open cycle uses the live data.
    """
    current = get_eligibility(session, cycle) if cycle.state in FROZEN_STATES else None
    base = (current.rules if current is not None else rules_for(cycle)).to_dict()
    base.update({("pass_" if k == "pass" else k): v for k, v in overrides.items()})
    rules = _rules(base)
    if budget is None or budget == "":
        budget = current.budget if current is not None and current.frozen else cycle.budget
    elif isinstance(budget, str) and re.fullmatch(r"[0-9]{1,15}", budget.strip()):
        budget = int(budget.strip())
    if isinstance(budget, bool) or not isinstance(budget, int) or not 0 <= budget <= 10**15:
        raise Invalid(_l("Please correct the marked fields."), fields={"budget": _l("Enter a whole number of yuan, 0 or more.")})
    if current is not None and current.frozen:
        inputs = current.inputs()
    else:
        inputs = gather_inputs(session, cycle, today=today)
    document = build_document(cycle, inputs, rules, budget)
    return EligibilityResult(cycle_id=cycle.id, document=document, provisional=True, simulated=True)


def freeze_snapshot(session: Session, cycle: ReviewCycle, *, now: datetime, user=None) -> EligibilitySnapshot:
    """Freeze the cycle's eligibility (called inside close_cycle, same transaction; flushes, never commits).

    Idempotent: an existing snapshot is returned unchanged.  The snapshot holds the canonical JSON
    document (rows, results, rules, budget and the inputs), the digest of the inputs, the digest of
    the document, and the SHA-256 of every export of the frozen list (exports.snapshot_digests).
    """
    existing = q.get_snapshot(session, cycle.id)
    if existing is not None:
        return existing
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware (UTC)")
    rules = rules_for(cycle)
    inputs = gather_inputs(session, cycle, today=shanghai_today(now))
    document = build_document(cycle, inputs, rules, cycle.budget, frozen_at=now)
    text = canonical_json(document)
    snapshot = EligibilitySnapshot(
        cycle_id=cycle.id, created_at=now, rubric_version=inputs.rubric_version, rules=rules.to_dict(),
        payload=text, inputs_digest=document["inputs_digest"], payload_digest=sha256_hex(text), export_digests={},
    )
    snapshot.export_digests = snapshot_digests(result_from_snapshot(snapshot))
    _seal(snapshot)
    session.add(snapshot)
    session.flush()
    audit.record(session, user, "eligibility_snapshot", snapshot.id, "freeze", None, {
        "cycle_id": cycle.id, "rubric_version": snapshot.rubric_version, "rules": snapshot.rules,
        "budget": cycle.budget, "inputs_digest": snapshot.inputs_digest, "payload_digest": snapshot.payload_digest,
        "export_digests": snapshot.export_digests, "summary": document["summary"],
    }, at=now)
    return snapshot


def record_export_digest(session: Session, snapshot: EligibilitySnapshot, key: str, digest: str) -> bool:
    """Record the SHA-256 of an export of a frozen list that the snapshot does not know yet.

    Returns False (and changes nothing) when the key is already recorded: a recorded digest is
    never overwritten.
    """
    digests = dict(snapshot.export_digests or {})
    if key in digests:
        return False
    digests[key] = digest
    snapshot.export_digests = digests
    _seal(snapshot)
    session.add(snapshot)
    session.flush()
    audit.record(session, None, "eligibility_snapshot", snapshot.id, "export_digest", None, {key: digest})
    return True
