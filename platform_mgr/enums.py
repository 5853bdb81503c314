"""Every enumeration the product stores or sends, defined once, with its labels in both languages.

A member is the string stored in the database and sent by the API (``Stage.S1 == "S1"``), and it
carries its Chinese and English label (``Stage.S1.label("en")``, ``Stage.S1.pair`` for the bilingual
"中文 / English" cells of exports). The values and their meaning are declared here; the labels are read
from ``vocabulary.toml`` beside this file (one term per concept, DESIGN §16). Everything else is derived
from these classes: the CHECK constraints of the tables (``Stage.check("stage")``), the column type that
loads members (``models.base.EnumText``), the API's types (pydantic fields typed with the enum, so the
OpenAPI document lists the values), the page labels (the Jinja filter ``|label``), the export cells, the
form choices and the permission sets. ``tests/test_enums.py`` checks that every derived place agrees.

Pure standard library.
"""
from __future__ import annotations

import tomllib
from enum import StrEnum
from pathlib import Path
from typing import Iterable

from .bilingual import Bilingual

VOCABULARY = Path(__file__).with_name("vocabulary.toml")


class Labelled(StrEnum):
    """A stored string value with its zh/en label (``zh``, ``en``: set from the vocabulary)."""

    zh: str
    en: str

    @property
    def words(self) -> Bilingual:
        return Bilingual(self.zh, self.en)

    def label(self, lang: str | None = "zh") -> str:
        return self.words.text(lang)

    @property
    def pair(self) -> str:
        """'中文 / English', as exports write it (independent of the reader's language)."""
        return self.words.pair

    @classmethod
    def values(cls) -> tuple[str, ...]:
        return tuple(m.value for m in cls)

    @classmethod
    def check(cls, column: str, members: Iterable[str] | None = None) -> str:
        """SQL text for a CHECK constraint that keeps ``column`` inside the values."""
        quoted = ", ".join(f"'{v}'" for v in (members if members is not None else cls.values()))
        return f"{column} IN ({quoted})"

    @classmethod
    def choices(cls, lang: str | None = "zh", members: Iterable[Labelled] | None = None) -> list[tuple[str, str]]:
        """(value, label) pairs for a form's select field."""
        return [(m.value, m.label(lang)) for m in (members if members is not None else cls)]

    @classmethod
    def coerce(cls, value) -> Labelled | None:
        """The member for a stored value; None for None; ValueError for anything else."""
        return None if value is None else cls(value)


# --- platforms and people -----------------------------------------------------------------------------

class PlatformField(Labelled):
    BCI, SILICON_PHOTONICS, FOURTH_GEN_SEMICONDUCTORS = "bci", "silicon_photonics", "fourth_gen_semiconductors"
    CELL_GENE_THERAPY, IC_MATERIALS, OTHER = "cell_gene_therapy", "ic_materials", "other"


class PlatformOrigin(Labelled):
    """Launched by the commission, or built by an institution that applied for recognition."""

    TOP_DOWN, BOTTOM_UP = "top_down", "bottom_up"


class PlatformStatus(Labelled):
    ACTIVE, SUSPENDED, DELISTED = "active", "suspended", "delisted"


class DelistingResolution(Labelled):
    """How an admin resolves a platform's delisting review (DESIGN §4): delist it, or clear the mark with a reason."""

    DELIST, CLEAR = "delist", "clear"


class Role(Labelled):
    """finance: approves and records payments, reads agreements and ledgers (DESIGN §12); applicant: sees only
    their own applications (§11)."""

    OPERATOR, REVIEWER, ADMIN, FINANCE, APPLICANT = "operator", "reviewer", "admin", "finance", "applicant"


class SignInMethod(Labelled):
    """How a web session was started: a local password, or an identity from a directory (DESIGN §9)."""

    PASSWORD, LDAP, OIDC = "password", "ldap", "oidc"


class Directory(Labelled):
    """A directory an identity comes from (``SignInMethod`` without the local password)."""

    LDAP, OIDC = "ldap", "oidc"


class SessionEnd(Labelled):
    """Why a web session ended on the server."""

    SIGN_OUT, IDLE, PASSWORD_CHANGE, PASSWORD_RESET, DEACTIVATED = (
        "sign_out", "idle", "password_change", "password_reset", "deactivated")


class LinkPurpose(Labelled):
    """A single-use link mailed to a person: set the first password, or reset a forgotten one."""

    INVITATION, RESET = "invitation", "reset"


class Language(Labelled):
    """A person's language preference (the Flask-Babel locales); each is named in its own language."""

    ZH, EN = "zh_Hans_CN", "en"


# --- projects, milestones, gates, outcomes --------------------------------------------------------------

class Stage(Labelled):
    """The chain a project moves along, one gate between each stage (DESIGN §3)."""

    S0, S1, S2, S3, S4 = "S0", "S1", "S2", "S3", "S4"

    @property
    def position(self) -> int:
        """0 for S0 … 4 for S4."""
        return int(self.value[1])

    def next_stage(self) -> Stage | None:
        """The stage after this one; None after S4 (passing the S4 gate means transfer)."""
        members = list(Stage)
        i = members.index(self)
        return members[i + 1] if i + 1 < len(members) else None


class SelectionMode(Labelled):
    OPEN_CALL, HORSE_RACE, DIRECT = "open_call", "horse_race", "direct"


class ProjectStatus(Labelled):
    ACTIVE, ON_HOLD, KILLED, TRANSFERRED, WITHDRAWN = "active", "on_hold", "killed", "transferred", "withdrawn"

    @property
    def read_only(self) -> bool:
        """Killed, transferred and withdrawn projects are final: read-only for everyone (DESIGN §3)."""
        return self in READ_ONLY_PROJECT_STATUSES


READ_ONLY_PROJECT_STATUSES = frozenset({ProjectStatus.KILLED, ProjectStatus.TRANSFERRED, ProjectStatus.WITHDRAWN})


class MilestoneStatus(Labelled):
    PLANNED, IN_PROGRESS, DONE, WAIVED = "planned", "in_progress", "done", "waived"

    @property
    def closed(self) -> bool:
        """Done or waived: neither blocks a gate nor can be overdue."""
        return self in (MilestoneStatus.DONE, MilestoneStatus.WAIVED)


class Decision(Labelled):
    GO, CONDITIONAL_GO, HOLD, RECYCLE, KILL = "go", "conditional_go", "hold", "recycle", "kill"

    @property
    def passes(self) -> bool:
        return self in (Decision.GO, Decision.CONDITIONAL_GO)


class OutcomeKind(Labelled):
    """How a project's result reaches use (DESIGN §2), and the investment that follows it."""

    LICENCE, ASSIGNMENT, EQUITY, SPINOUT = "licence", "assignment", "equity", "spinout"
    FOLLOW_ON_INVESTMENT, CONTRACT = "follow_on_investment", "contract"


# --- review cycles, scoring, eligibility ---------------------------------------------------------------

class CycleState(Labelled):
    DRAFT, OPEN, CLOSED, PUBLISHED = "draft", "open", "closed", "published"


class ReviewState(Labelled):
    NOT_STARTED, DRAFT, SUBMITTED = "not_started", "draft", "submitted"


class Dimension(Labelled):
    """The three evaluation dimensions, in display order."""

    VERIFICATION, SERVICE, OPERATING = "verification", "service", "operating"

    @property
    def max_points(self) -> int:
        """Maximum points of the dimension in the default rubric (DESIGN §4: 30 / 45 / 25)."""
        return {"verification": 30, "service": 45, "operating": 25}[self.value]


class Grade(Labelled):
    EXCELLENT, GOOD, PASS, FAIL = "excellent", "good", "pass", "fail"


class Verdict(Labelled):
    """``conditional``: eligible once the milestone or activity rule is remedied (DESIGN §5)."""

    ELIGIBLE, CONDITIONAL, INELIGIBLE = "eligible", "conditional", "ineligible"


class Tier(Labelled):
    A, B = "A", "B"


class RuleCode(Labelled):
    R1_MIN_REVIEWS, R2_GRADE, R3_DIMENSION_FLOOR = "R1_MIN_REVIEWS", "R2_GRADE", "R3_DIMENSION_FLOOR"
    R4_MILESTONES, R5_ACTIVITY, R6_INTEGRITY, R7_STATUS = "R4_MILESTONES", "R5_ACTIVITY", "R6_INTEGRITY", "R7_STATUS"


class ConflictRule(Labelled):
    """Why a reviewer may not score a platform (DESIGN §10); refusals and the assignment page show the code."""

    C1_INSTITUTION, C2_DECLARED, C3_GATEKEEPER, C4_OPERATOR = (
        "C1_INSTITUTION", "C2_DECLARED", "C3_GATEKEEPER", "C4_OPERATOR")


class ConflictKind(Labelled):
    """The relationship a reviewer declares (rule C2, DESIGN §10, §17)."""

    EMPLOYMENT, CO_APPLICANT, FINANCIAL, FAMILY, OTHER = "employment", "co_applicant", "financial", "family", "other"


#: every enumeration, by class name (the Jinja filter ``x|label("Stage")`` looks plain strings up here)
ALL: dict[str, type[Labelled]] = {cls.__name__: cls for cls in (
    PlatformField, PlatformOrigin, PlatformStatus, DelistingResolution, Role, SignInMethod, Directory, SessionEnd,
    LinkPurpose, Language, Stage, SelectionMode, ProjectStatus, MilestoneStatus, Decision, OutcomeKind, CycleState,
    ReviewState, Dimension, Grade, Verdict, Tier, RuleCode, ConflictRule, ConflictKind)}


def _label_every_member() -> None:
    with VOCABULARY.open("rb") as fh:
        vocabulary = tomllib.load(fh)
    for name, cls in ALL.items():
        words = vocabulary[name]
        for member in cls:
            member.zh, member.en = words[member.value]


_label_every_member()
