"""Creators with sane defaults (Indico's create_*, CTFd's gen_*): each commits what it makes."""
from __future__ import annotations

import itertools
from datetime import date, timedelta

from platform_mgr import security
from platform_mgr.models import Gatekeeper, Milestone, OperatorPlatform, Outcome, Platform, Project, User
from platform_mgr.services import users as user_service

PASSWORD = "Passw0rd!x"
_HASH = None
_seq = itertools.count(1)


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

    def token(self, user: User) -> str:
        token = user_service.issue_token(self.session, None, user, label="test")
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
        defaults = dict(project_id=project.id, stage=project.stage, title=f"里程碑{n}", due_on=date.today() + timedelta(days=30),
                        status="planned", is_gate_criterion=False)
        defaults.update(kw)
        return self._save(Milestone(**defaults))

    def outcome(self, project: Project | None = None, **kw) -> Outcome:
        project = project or self.project()
        defaults = dict(project_id=project.id, kind="licence", counterparty="某企业", amount=500_000,
                        occurred_on=date(2026, 6, 1))
        defaults.update(kw)
        return self._save(Outcome(**defaults))
