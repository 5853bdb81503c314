"""Columns of an export and the bilingual labels written into cells.

Exports are bilingual and independent of the requester's language: headers read "中文 / English"
and enumerations are written as "中文 / English" too.  The labels are plain text here (not the
gettext catalog), so the bytes of a frozen export depend only on the frozen data.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..domain.eligibility import Verdict
from ..domain.rubric import Dimension
from ..domain.scoring import Grade

# kinds: text (neutralised string), int, yuan (integer yuan), wan (yuan shown in 万元), points (two decimals),
# date (ISO date), bool (是 / Yes)
KINDS = ("text", "int", "yuan", "wan", "points", "date", "bool")


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str
    kind: str = "text"
    width: int = 12  # XLSX column width in characters

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}")

    @property
    def header(self) -> str:
        return f"{self.zh} / {self.en}"


def pair(zh: str, en: str) -> str:
    return f"{zh} / {en}"


FIELDS = {
    "bci": ("脑机接口", "Brain–computer interfaces"),
    "silicon_photonics": ("硅光", "Silicon photonics"),
    "fourth_gen_semiconductors": ("第四代半导体", "Fourth-generation semiconductors"),
    "cell_gene_therapy": ("细胞与基因治疗", "Cell and gene therapy"),
    "ic_materials": ("集成电路材料", "Integrated-circuit materials"),
    "other": ("其他", "Other"),
}
ORIGINS = {"top_down": ("自上而下", "Top-down"), "bottom_up": ("自下而上", "Bottom-up")}
PLATFORM_STATUSES = {"active": ("运行中", "Active"), "suspended": ("暂停", "Suspended"), "delisted": ("已摘牌", "Delisted")}
GRADES = {g.value: (g.label_zh, g.label_en) for g in Grade}
VERDICTS = {v.value: (v.label_zh, v.label_en) for v in Verdict}
TIERS = {"A": ("A 档", "Tier A"), "B": ("B 档", "Tier B")}
DIMENSIONS = {d.value: (d.name_zh, d.name_en) for d in Dimension}
STAGES = {
    "S0": ("S0 需求发现", "S0 Demand discovery"),
    "S1": ("S1 技术寻源", "S1 Technology sourcing"),
    "S2": ("S2 概念验证", "S2 Concept verification"),
    "S3": ("S3 场景应用", "S3 Scenario application"),
    "S4": ("S4 转化落地", "S4 Transfer"),
}
PROJECT_STATUSES = {
    "active": ("进行中", "Active"), "on_hold": ("暂停", "On hold"), "killed": ("已终止", "Killed"),
    "transferred": ("已转化", "Transferred"), "withdrawn": ("已撤回", "Withdrawn"),
}
SELECTION_MODES = {"open_call": ("揭榜挂帅", "Open call"), "horse_race": ("赛马制", "Horse race"),
                   "direct": ("直接委托", "Direct commission")}
MILESTONE_STATUSES = {"planned": ("计划中", "Planned"), "in_progress": ("进行中", "In progress"),
                      "done": ("已完成", "Done"), "waived": ("已豁免", "Waived")}
OUTCOME_KINDS = {
    "licence": ("许可", "Licence"), "assignment": ("转让", "Assignment"), "equity": ("作价投资", "Equity investment"),
    "spinout": ("孵化企业", "Spin-out"), "follow_on_investment": ("后续融资", "Follow-on investment"),
    "contract": ("技术合同", "Technology contract"),
}
RULES = {
    "R1_MIN_REVIEWS": ("R1 有效评审份数", "R1 Minimum reviews"),
    "R2_GRADE": ("R2 等级", "R2 Grade"),
    "R3_DIMENSION_FLOOR": ("R3 维度下限", "R3 Dimension floor"),
    "R4_MILESTONES": ("R4 里程碑", "R4 Milestones"),
    "R5_ACTIVITY": ("R5 阶段门活跃度", "R5 Gate activity"),
    "R6_INTEGRITY": ("R6 诚信", "R6 Integrity"),
    "R7_STATUS": ("R7 平台状态", "R7 Platform status"),
}
PASSED = {True: ("通过", "Passed"), False: ("未通过", "Failed")}
YES_NO = {True: ("是", "Yes"), False: ("否", "No")}


def label(table: dict, value) -> str:
    """'中文 / English' for a stored value; the value itself when unknown; empty for None."""
    if value is None:
        return ""
    found = table.get(value)
    return pair(*found) if found else str(value)
