"""Creators with sane defaults (Indico's create_*, CTFd's gen_*): each commits what it makes."""
from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta, timezone

from platform_mgr import clock, security
from platform_mgr.models import Gatekeeper, Milestone, OperatorPlatform, Outcome, Platform, Project, User
from platform_mgr.services import users as user_service

PASSWORD = "Passw0rd!x"
_HASH = None
_seq = itertools.count(1)

#: the instant every test starts at (tests/conftest.py freezes the clock there); the literal dates below are
#: consistent with it: projects started and outcomes happened earlier in 2026, the factory cycle's data window
#: is January–October 2026 and its scoring is open from 1 November to 1 December 2026.
FROZEN_AT = datetime(2026, 11, 16, 2, 0, tzinfo=timezone.utc)  # Monday 10:00 in Shanghai


def _password_hash() -> str:
    global _HASH
    if _HASH is None:
        _HASH = security.hash_password(PASSWORD)
    return _HASH


class Factory:
    def __init__(self, session):
        self.session = session

    def _save(self, obj):
        self.session.add(obj)
        self.session.commit()
        return obj

    def platform(self, **kw) -> Platform:
        n = next(_seq)
        defaults = dict(code=f"P{n}", name_zh=f"平台{n}", name_en=f"Platform {n}", field="bci", origin="top_down",
                        host_institution=f"研究院{n}", status="active")
        defaults.update(kw)
        return self._save(Platform(**defaults))

    def user(self, role: str = "operator", platforms=(), gatekeeper_of=(), **kw) -> User:
        n = next(_seq)
        defaults = dict(email=f"{role}{n}@example.com", display_name=f"{role} {n}", role=role,
                        affiliation=f"单位{n}", password_hash=_password_hash(), active=True)
        defaults.update(kw)
        user = self._save(User(**defaults))
        for p in platforms:
            self.session.add(OperatorPlatform(user_id=user.id, platform_id=p.id))
        for p in gatekeeper_of:
            self.session.add(Gatekeeper(user_id=user.id, platform_id=p.id))
        self.session.commit()
        return user

    def admin(self, **kw) -> User:
        return self.user(role="admin", **kw)

    def operator(self, *platforms, **kw) -> User:
        return self.user(role="operator", platforms=platforms, **kw)

    def reviewer(self, **kw) -> User:
        return self.user(role="reviewer", **kw)

    def web_session(self, user: User, **kw) -> str:
        """A server session for ``user`` (as signing in opens one); its key is what the cookie carries as
        Flask-Login's ``_user_id``."""
        from platform_mgr.services import sessions

        key = sessions.start(self.session, user, **kw)
        self.session.commit()
        return key

    def token(self, user: User) -> str:
        _row, token = user_service.issue_token(self.session, None, user, label="test")
        self.session.commit()
        return token

    def project(self, platform: Platform | None = None, **kw) -> Project:
        platform = platform or self.platform()
        n = next(_seq)
        defaults = dict(platform_id=platform.id, title_zh=f"项目{n}", lead="王工", source_institution="某大学",
                        demand_owner="某公司", selection_mode="direct", stage="S0", status="active", trl_entry=2,
                        trl_current=2, budget=1_000_000, started_on=date(2026, 1, 5))
        defaults.update(kw)
        return self._save(Project(**defaults))

    def milestone(self, project: Project | None = None, **kw) -> Milestone:
        project = project or self.project()
        n = next(_seq)
        defaults = dict(project_id=project.id, stage=project.stage, title=f"里程碑{n}", due_on=clock.today() + timedelta(days=30),
                        status="planned", is_gate_criterion=False)
        defaults.update(kw)
        return self._save(Milestone(**defaults))

    def evidence(self, milestone: Milestone, **kw):
        """An evidence file row for a milestone (no bytes on disk: for rules that only ask whether it has one)."""
        from platform_mgr.models import EvidenceFile

        n = next(_seq)
        defaults = dict(milestone_id=milestone.id, original_name=f"证明{n}.pdf", stored_name=f"factory-{n}.pdf",
                        content_type="application/pdf", size_bytes=10, sha256="0" * 64)
        defaults.update(kw)
        return self._save(EvidenceFile(**defaults))

    def outcome(self, project: Project | None = None, **kw) -> Outcome:
        project = project or self.project()
        defaults = dict(project_id=project.id, kind="licence", counterparty="某企业", amount=500_000,
                        occurred_on=date(2026, 6, 1))
        defaults.update(kw)
        return self._save(Outcome(**defaults))


# --- review cycles ------------------------------------------------------------------------------

def _cycle_defaults():
    return dict(name="2026年度评估", window_start=date(2026, 1, 1), window_end=date(2026, 10, 31),
                opens_at=datetime(2026, 11, 1, tzinfo=timezone.utc), closes_at=datetime(2026, 12, 1, tzinfo=timezone.utc),
                budget=10_000_000, state="draft", rules={})


def _add_factory_methods():
    from platform_mgr.domain.rubric import DEFAULT_RUBRIC_V1
    from platform_mgr.models import Assignment, Criterion, ReviewCycle, Rubric, Score

    def rubric(self, version: int | None = None, criteria=DEFAULT_RUBRIC_V1):
        """The default rubric (version 1 unless given) with its criteria."""
        from sqlmodel import select

        version = version or 1
        existing = self.session.exec(select(Rubric).where(Rubric.version == version)).first()
        if existing is not None:
            return existing
        row = self._save(Rubric(version=version, name=f"v{version}"))
        for pos, c in enumerate(criteria):
            self.session.add(Criterion(rubric_id=row.id, code=c.code, dimension=str(c.dimension), position=pos,
                                       max_tenths=c.max_tenths, name_zh=c.name_zh, name_en=c.name_en,
                                       guidance_zh=c.guidance_zh, guidance_en=c.guidance_en))
        self.session.commit()
        return row

    def cycle(self, **kw):
        defaults = _cycle_defaults()
        if "rubric_id" not in kw:
            defaults["rubric_id"] = self.rubric().id
        defaults.update(kw)
        return self._save(ReviewCycle(**defaults))

    def assignment(self, cycle, reviewer, platform, **kw):
        defaults = dict(cycle_id=cycle.id, reviewer_id=reviewer.id, platform_id=platform.id)
        defaults.update(kw)
        if defaults.get("conflict_declared") and "conflicted" not in kw:  # a declaration is rule C2
            defaults.update(conflicted=True, conflict_rules=["C2_DECLARED"])
        return self._save(Assignment(**defaults))

    def review(self, cycle, reviewer, platform, points: dict | float | None = None, *, submitted=True,
               conflict=False):
        """An assignment with scores. ``points``: {code: points} or one number of points for every criterion
        (as a share of each criterion's max when ≤ 1.0 is not intended: a float f gives round(max*f/100) tenths
        when f is a percentage)."""
        from sqlmodel import select

        a = self.assignment(cycle, reviewer, platform, review_state="submitted" if submitted else "draft",
                            conflict_declared=conflict)
        crits = self.session.exec(select(Criterion).where(Criterion.rubric_id == cycle.rubric_id)).all()
        for c in crits:
            if isinstance(points, dict):
                if c.code not in points:
                    continue
                tenths = int(round(points[c.code] * 10))
            elif points is None:
                continue
            else:  # a percentage of each criterion's maximum
                tenths = int(round(c.max_tenths * points / 100))
            self.session.add(Score(assignment_id=a.id, criterion_id=c.id, points_tenths=tenths))
        self.session.commit()
        return a

    Factory.rubric = rubric
    Factory.cycle = cycle
    Factory.assignment = assignment
    Factory.review = review


_add_factory_methods()
