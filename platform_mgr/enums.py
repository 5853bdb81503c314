"""Every enumeration the product stores or sends, defined once, with its labels in both languages.

A member is the string stored in the database and sent by the API (``Stage.S1 == "S1"``), and it
carries its Chinese and English label (``Stage.S1.label("en")``, ``Stage.S1.pair`` for the bilingual
"中文 / English" cells of exports). Everything else is derived from these classes: the CHECK
constraints of the tables (``Stage.check("stage")``), the column type that loads members
(``models.base.EnumText``), the API's types (pydantic fields typed with the enum, so the OpenAPI
document lists the values), the page labels (the Jinja filter ``|label``), the export cells and the
permission sets. ``tests/test_enums.py`` checks that every derived place agrees.

The labels are the glossary's terms (docs/glossary.md, DESIGN §16). Pure standard library.
"""
from __future__ import annotations

from enum import StrEnum
from typing import Iterable

from .bilingual import Bilingual


class Labelled(StrEnum):
    """A stored string value with its zh/en label: ``VALUE = "value", "中文", "English"``."""

    zh: str
    en: str

    def __new__(cls, value: str, zh: str = "", en: str = ""):
        member = str.__new__(cls, value)
        member._value_ = value
        member.zh = zh or value
        member.en = en or value
        return member

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
    BCI = "bci", "脑机接口", "Brain–computer interfaces"
    SILICON_PHOTONICS = "silicon_photonics", "硅光", "Silicon photonics"
    FOURTH_GEN_SEMICONDUCTORS = "fourth_gen_semiconductors", "第四代半导体", "Fourth-generation semiconductors"
    CELL_GENE_THERAPY = "cell_gene_therapy", "细胞与基因治疗", "Cell and gene therapy"
    IC_MATERIALS = "ic_materials", "集成电路材料", "Integrated-circuit materials"
    OTHER = "other", "其他", "Other"


class PlatformOrigin(Labelled):
    TOP_DOWN = "top_down", "自上而下（市科委布局）", "Top-down (commission-launched)"
    BOTTOM_UP = "bottom_up", "自下而上（自主建设）", "Bottom-up (self-built)"


class PlatformStatus(Labelled):
    ACTIVE = "active", "运行中", "Active"
    SUSPENDED = "suspended", "暂停", "Suspended"
    DELISTED = "delisted", "已摘牌", "Delisted"


class Role(Labelled):
    OPERATOR = "operator", "平台运营人员", "Platform operator"
    REVIEWER = "reviewer", "评审专家", "Reviewer"
    ADMIN = "admin", "科委管理人员", "Commission officer"


class Language(Labelled):
    """A person's language preference (the Flask-Babel locales); each is named in its own language."""

    ZH = "zh_Hans_CN", "中文", "中文"
    EN = "en", "English", "English"


# --- projects, milestones, gates, outcomes --------------------------------------------------------------

class Stage(Labelled):
    S0 = "S0", "S0 需求发现", "S0 Demand discovery"
    S1 = "S1", "S1 技术寻源", "S1 Technology sourcing"
    S2 = "S2", "S2 概念验证", "S2 Concept verification"
    S3 = "S3", "S3 场景应用", "S3 Scenario application"
    S4 = "S4", "S4 转化落地", "S4 Transfer"

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
    OPEN_CALL = "open_call", "揭榜挂帅", "Open call"
    HORSE_RACE = "horse_race", "赛马制", "Horse race"
    DIRECT = "direct", "定向委托", "Direct commission"


class ProjectStatus(Labelled):
    ACTIVE = "active", "进行中", "Active"
    ON_HOLD = "on_hold", "已暂停", "On hold"
    KILLED = "killed", "已终止", "Killed"
    TRANSFERRED = "transferred", "已转化", "Transferred"
    WITHDRAWN = "withdrawn", "已撤回", "Withdrawn"

    @property
    def read_only(self) -> bool:
        """Killed, transferred and withdrawn projects are final: read-only for everyone (DESIGN §3)."""
        return self in READ_ONLY_PROJECT_STATUSES


READ_ONLY_PROJECT_STATUSES = frozenset({ProjectStatus.KILLED, ProjectStatus.TRANSFERRED, ProjectStatus.WITHDRAWN})


class MilestoneStatus(Labelled):
    PLANNED = "planned", "计划中", "Planned"
    IN_PROGRESS = "in_progress", "进行中", "In progress"
    DONE = "done", "已完成", "Done"
    WAIVED = "waived", "已豁免", "Waived"

    @property
    def closed(self) -> bool:
        """Done or waived: neither blocks a gate nor can be overdue."""
        return self in (MilestoneStatus.DONE, MilestoneStatus.WAIVED)


class Decision(Labelled):
    GO = "go", "通过", "Go"
    CONDITIONAL_GO = "conditional_go", "有条件通过", "Conditional go"
    HOLD = "hold", "暂停", "Hold"
    RECYCLE = "recycle", "退回重做", "Recycle"
    KILL = "kill", "终止", "Kill"

    @property
    def passes(self) -> bool:
        return self in (Decision.GO, Decision.CONDITIONAL_GO)


class OutcomeKind(Labelled):
    LICENCE = "licence", "许可", "Licence"
    ASSIGNMENT = "assignment", "转让", "Assignment"
    EQUITY = "equity", "作价投资", "Equity investment"
    SPINOUT = "spinout", "衍生企业", "Spin-out"
    FOLLOW_ON_INVESTMENT = "follow_on_investment", "后续融资", "Follow-on investment"
    CONTRACT = "contract", "技术合同", "Technology contract"


# --- review cycles, scoring, eligibility ---------------------------------------------------------------

class CycleState(Labelled):
    DRAFT = "draft", "草稿", "Draft"
    OPEN = "open", "评审中", "Open"
    CLOSED = "closed", "已结束评分", "Closed"
    PUBLISHED = "published", "已发布", "Published"


class ReviewState(Labelled):
    NOT_STARTED = "not_started", "未开始", "Not started"
    DRAFT = "draft", "草稿", "Draft"
    SUBMITTED = "submitted", "已提交", "Submitted"


class Dimension(Labelled):
    """The three evaluation dimensions, in display order."""

    VERIFICATION = "verification", "验证能力", "Verification capability"
    SERVICE = "service", "服务成效", "Service effectiveness"
    OPERATING = "operating", "运营模式", "Operating model"

    @property
    def max_points(self) -> int:
        """Maximum points of the dimension in the default rubric (DESIGN §4: 30 / 45 / 25)."""
        return {"verification": 30, "service": 45, "operating": 25}[self.value]


class Grade(Labelled):
    EXCELLENT = "excellent", "优秀", "Excellent"
    GOOD = "good", "良好", "Good"
    PASS = "pass", "合格", "Pass"
    FAIL = "fail", "不合格", "Fail"


class Verdict(Labelled):
    ELIGIBLE = "eligible", "符合资助条件", "Eligible"
    CONDITIONAL = "conditional", "整改后可资助", "Conditional"
    INELIGIBLE = "ineligible", "不符合资助条件", "Ineligible"


class Tier(Labelled):
    A = "A", "A 档", "Tier A"
    B = "B", "B 档", "Tier B"


class RuleCode(Labelled):
    R1_MIN_REVIEWS = "R1_MIN_REVIEWS", "R1 有效评审份数", "R1 Minimum reviews"
    R2_GRADE = "R2_GRADE", "R2 等级", "R2 Grade"
    R3_DIMENSION_FLOOR = "R3_DIMENSION_FLOOR", "R3 维度下限", "R3 Dimension floor"
    R4_MILESTONES = "R4_MILESTONES", "R4 里程碑", "R4 Milestones"
    R5_ACTIVITY = "R5_ACTIVITY", "R5 阶段门活跃度", "R5 Gate activity"
    R6_INTEGRITY = "R6_INTEGRITY", "R6 诚信", "R6 Integrity"
    R7_STATUS = "R7_STATUS", "R7 平台状态", "R7 Platform status"


#: every enumeration, by class name (the Jinja filter ``x|label("Stage")`` looks plain strings up here)
ALL: dict[str, type[Labelled]] = {cls.__name__: cls for cls in (
    PlatformField, PlatformOrigin, PlatformStatus, Role, Language, Stage, SelectionMode, ProjectStatus, MilestoneStatus,
    Decision, OutcomeKind, CycleState, ReviewState, Dimension, Grade, Verdict, Tier, RuleCode)}
