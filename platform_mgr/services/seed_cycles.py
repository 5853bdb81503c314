"""Demo review data: rubric v1, last year's closed cycle fully scored, and this year's open cycle.

* closed cycle (last calendar year's data): 3–5 reviewers per platform in the demo (≈5 in "large"),
  realistic spread (a quality per platform, a leniency per reviewer, noise per criterion), one platform
  disputed (one reviewer far below the others), one conflict declared; it is opened and closed through
  `cycles.open_cycle` / `cycles.close_cycle`, so closing freezes the eligibility snapshot.
* open cycle (this year's data, closing in five days): assignments from the balanced suggestion, a mix of
  submitted reviews, drafts and reviews not started (every demo reviewer has some of each; in "large"
  the cycle is scored: every platform has at least four submitted reviews, the fifth is a submission,
  a draft or not started), and self-assessments of all platforms but one (in "large", four in five).

Assignments and scores are bulk inserts (fast at the "large" scale); the state changes go through the
services, which write their audit events; one audit event per cycle records the seeded reviews.
"""
from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import insert
from sqlmodel import Session, select

from ..models import Assignment, Criterion, Platform, ReviewCycle, Score, SelfAssessment, User
from . import audit
from .assignments import suggest_balanced
from .cycles import _move, close_cycle, ensure_default_rubric, open_cycle

COMMENTS = [
    "验证设施开放程度较高，建议进一步完善收费标准与预约记录。",
    "项目管线健康，阶段门决策记录完整；市场化收入占比仍需提升。",
    "转化合同金额可观，但交易对方独立性材料不足，建议补充。",
    "专家库覆盖学术、产业、投资三类，参与记录较完整。",
    "里程碑按期率偏低，部分必达里程碑逾期较久，需加强过程管理。",
    "孵化企业已获外部融资，凭证齐全；用户满意度调查方法可再规范。",
]
CONFLICT_NOTE = "本人近两年曾为该平台依托单位的项目提供有偿咨询，申请回避。"
NARRATIVES = {
    "verification": "平台建有中试验证线及关键检测设备 {n} 台（套），设备清单与预约规则已在官网公开；"
                    "组建专职团队 {m} 人，其中持证技术经理人 {k} 人；专家库覆盖学术、产业与投资三类专家。",
    "service": "数据窗口内共服务验证项目 {p} 项，通过阶段门 {g} 次；完成许可、转让及作价投资等转化 {c} 项，"
               "孵化企业已获得后续社会融资；用户满意度调查回收率 {r}%。",
    "operating": "市场化服务收入占运营成本约 {s}%，与两家概念验证基金建立合作；制定项目遴选、知识产权收益分配"
                 "与利益冲突回避制度，并按月更新里程碑数据。",
}


def _at(d: date, hour: int) -> datetime:
    return datetime.combine(d, time(hour, 0), tzinfo=timezone.utc)


def _narratives(rng: random.Random) -> dict[str, str]:
    return {
        "verification": NARRATIVES["verification"].format(n=rng.randint(12, 60), m=rng.randint(8, 30),
                                                          k=rng.randint(2, 9)),
        "service": NARRATIVES["service"].format(p=rng.randint(8, 40), g=rng.randint(3, 15), c=rng.randint(1, 8),
                                                r=rng.randint(55, 92)),
        "operating": NARRATIVES["operating"].format(s=rng.randint(15, 60)),
    }


def _points(rng: random.Random, criteria, quality: float, bias: float, shift: float = 0.0,
            only: int | None = None) -> dict[int, int]:
    """Criterion id → tenths around quality + bias (+ shift), with per-criterion noise."""
    out = {}
    for i, (cid, max_tenths) in enumerate(criteria):
        if only is not None and i >= only:
            break
        frac = min(1.0, max(0.15, quality + bias + shift + rng.gauss(0, 0.05)))
        out[cid] = int(round(max_tenths * frac))
    return out


def _pairs(platforms, reviewers, per_platform: int) -> list[tuple[int, int]]:
    suggestion = suggest_balanced([(p.id, p.host_institution) for p in platforms],
                                  [(r.id, r.affiliation) for r in reviewers], [], per_platform)
    return suggestion.pairs


def _insert_reviews(session: Session, cycle: ReviewCycle, rows: list[dict], scores: list[dict[int, int]]) -> list[int]:
    if not rows:
        return []
    ids = list(session.execute(insert(Assignment).returning(Assignment.id, sort_by_parameter_order=True),
                               rows).scalars())
    score_rows = [dict(assignment_id=aid, criterion_id=cid, points_tenths=t, comment="")
                  for aid, points in zip(ids, scores) for cid, t in points.items()]
    for chunk in range(0, len(score_rows), 5000):
        session.execute(insert(Score), score_rows[chunk:chunk + 5000])
    return ids


def _assignment_row(cycle: ReviewCycle, rid: int, pid: int, *, state: str, at: datetime, comment: str = "",
                    conflict: bool = False) -> dict:
    return dict(cycle_id=cycle.id, reviewer_id=rid, platform_id=pid, conflict_declared=conflict,
                conflict_kind="employment" if conflict else None, conflicted=conflict,
                conflict_rules=["C2_DECLARED"] if conflict else [],
                conflict_note=CONFLICT_NOTE if conflict else "", review_state=state, comment=comment,
                submitted_at=at if state == "submitted" else None, created_at=at, updated_at=at, version=1)


def _freeze_available() -> bool:
    try:
        from . import eligibility
    except ImportError:  # pragma: no cover - the eligibility area is not there yet
        return False
    return hasattr(eligibility, "freeze_snapshot")


def seed_cycles(session, *, today, rng, platform_ids, reviewer_ids, operator_ids, admin_id, scale) -> None:
    rubric = ensure_default_rubric(session)
    criteria = [(c.id, c.max_tenths) for c in session.exec(
        select(Criterion).where(Criterion.rubric_id == rubric.id).order_by(Criterion.position)).all()]
    platforms = sorted(session.exec(select(Platform).where(Platform.id.in_(list(platform_ids)))).all(),
                       key=lambda p: platform_ids.index(p.id))
    reviewers = sorted(session.exec(select(User).where(User.id.in_(list(reviewer_ids)))).all(),
                       key=lambda u: reviewer_ids.index(u.id))
    if not platforms or not reviewers:
        return
    large = scale != "demo"
    active = [p for p in platforms if p.status == "active"]
    operator_of = dict(zip(platform_ids, operator_ids))
    year = (today - timedelta(days=30)).year

    # --- last year's cycle: closed, fully scored --------------------------------------------------
    prev_opens = min(date(year, 1, 10), today - timedelta(days=45))
    prev = ReviewCycle(name=f"{year - 1}年度概念验证平台绩效评估", window_start=date(year - 1, 1, 1),
                       window_end=date(year - 1, 12, 31), opens_at=_at(prev_opens, 1),
                       closes_at=_at(prev_opens + timedelta(days=30), 10), budget=12_000_000 if not large else 150_000_000,
                       state="draft", rubric_id=rubric.id, rules={})
    session.add(prev)
    session.flush()
    open_cycle(session, None, prev, now=prev.opens_at)
    pool = reviewers[:max(10, len(active))] if large else reviewers
    pairs = _pairs(active, pool, 5)
    by_platform: dict[int, list[int]] = {}
    for rid, pid in pairs:
        by_platform.setdefault(pid, []).append(rid)
    demo_counts = [5, 4, 5, 3, 4]
    quality = {p.id: ([0.93, 0.80, 0.88, 0.67, 0.55][i] if not large and i < 5 else rng.uniform(0.5, 0.95))
               for i, p in enumerate(active)}
    bias = {r.id: rng.uniform(-0.06, 0.06) for r in reviewers}
    disputed_pid = active[1 % len(active)].id
    rows, scores = [], []
    for i, p in enumerate(active):
        rids = by_platform.get(p.id, [])
        keep = demo_counts[i] if not large and i < len(demo_counts) else (5 if i % 4 else 4)
        rids = rids[:keep]
        for k, rid in enumerate(rids):
            at = prev.opens_at + timedelta(days=3 + (i + k) % 20, hours=k)
            conflict = k == len(rids) - 1 and len(rids) >= 5 and (i == 0 if not large else i % 15 == 0)
            if conflict:
                rows.append(_assignment_row(prev, rid, p.id, state="submitted", at=at, conflict=True))
                scores.append({})
                continue
            shift = -0.32 if p.id == disputed_pid and k == len(rids) - 1 else 0.0
            rows.append(_assignment_row(prev, rid, p.id, state="submitted", at=at, comment=rng.choice(COMMENTS)))
            scores.append(_points(rng, criteria, quality[p.id], bias[rid], shift))
    _insert_reviews(session, prev, rows, scores)
    session.execute(insert(SelfAssessment), [
        dict(cycle_id=prev.id, platform_id=p.id, updated_by_id=operator_of.get(p.id), updated_at=prev.opens_at,
             version=1, **_narratives(rng)) for p in active])
    audit.record(session, None, "cycle", prev.id, "seed_reviews", None,
                 {"assignments": len(rows), "submitted": len(rows)})
    session.flush()
    if _freeze_available():
        close_cycle(session, None, prev, now=prev.closes_at)
    else:  # pragma: no cover - eligibility not built yet: close without a snapshot
        _move(session, None, prev, expected="open", new="closed", stamp="closed_at", now=prev.closes_at,
              action="close", action_label="closed")

    # --- this year's cycle: open, closing in five days -------------------------------------------
    window_end = min(date(year, 12, 31), today - timedelta(days=15))
    cur = ReviewCycle(name=f"{year}年度概念验证平台绩效评估", window_start=date(year, 1, 1), window_end=window_end,
                      opens_at=_at(today - timedelta(days=9), 1), closes_at=_at(today + timedelta(days=5), 10),
                      budget=15_000_000 if not large else 180_000_000, state="draft", rubric_id=rubric.id,
                      rules={"min_reviews": 3})
    session.add(cur)
    session.flush()
    open_cycle(session, None, cur, now=cur.opens_at)
    pool = reviewers[len(reviewers) // 2:][:max(10, len(active))] if large else reviewers
    pairs = _pairs(active, pool, 5 if large else 3)
    seen: dict[int, int] = {}
    per_platform: dict[int, int] = {}
    rows, scores = [], []
    for rid, pid in sorted(pairs, key=lambda rp: (rp[0], platform_ids.index(rp[1]))):
        k = seen.get(rid, 0)
        seen[rid] = k + 1
        j = per_platform.get(pid, 0)
        per_platform[pid] = j + 1
        at = cur.opens_at + timedelta(days=1 + (k + rid) % 7)
        if large:  # fully scored but for the last review of two platforms in three: ≥ 4 submitted everywhere
            state = "submitted" if j < 4 else ("submitted", "draft", "not_started")[platform_ids.index(pid) % 3]
        else:  # every demo reviewer has a submitted review, a draft and one not started
            state = ("submitted", "draft", "not_started")[k % 3]
        if state == "submitted":
            rows.append(_assignment_row(cur, rid, pid, state=state, at=at, comment=rng.choice(COMMENTS)))
            scores.append(_points(rng, criteria, quality.get(pid, 0.75), bias[rid]))
        elif state == "draft":
            rows.append(_assignment_row(cur, rid, pid, state=state, at=at))
            scores.append(_points(rng, criteria, quality.get(pid, 0.75), bias[rid], only=len(criteria) // 2))
        else:
            rows.append(_assignment_row(cur, rid, pid, state=state, at=cur.opens_at))
            scores.append({})
    _insert_reviews(session, cur, rows, scores)
    writers = active[:-1] if len(active) > 1 else active
    session.execute(insert(SelfAssessment), [
        dict(cycle_id=cur.id, platform_id=p.id, updated_by_id=operator_of.get(p.id),
             updated_at=cur.opens_at + timedelta(days=2), version=1, **_narratives(rng))
        for p in writers if not large or platform_ids.index(p.id) % 5])
    audit.record(session, None, "cycle", cur.id, "seed_reviews", None,
                 {"assignments": len(rows), "submitted": sum(1 for r in rows if r["review_state"] == "submitted"),
                  "draft": sum(1 for r in rows if r["review_state"] == "draft")})
    session.flush()
