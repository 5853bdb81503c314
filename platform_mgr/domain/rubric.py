"""Evaluation rubric: dimensions, criteria and exact point values (DESIGN §4).

Points are entered per criterion from 0 to its maximum in steps of 0.1 and are stored exactly as
integer *tenths* of a point (7.5 points → 75).  Everything here is pure: values in, values out.
"""
from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from ..enums import Dimension  # noqa: F401  (re-exported)
from .errors import DomainError

__all__ = [
    "DEFAULT_RUBRIC_V1",
    "DEFAULT_RUBRIC_VERSION",
    "CriterionDef",
    "Dimension",
    "ScoreError",
    "collect_score_errors",
    "criteria_by_code",
    "dimension_max_points",
    "dimension_max_tenths",
    "format_tenths",
    "parse_points",
    "tenths_to_decimal",
    "validate_scores",
]




@dataclass(frozen=True)
class CriterionDef:
    """One scoring criterion of a rubric version; `max_tenths` is the maximum in tenths of a point."""

    code: str
    dimension: Dimension
    max_tenths: int
    name_zh: str
    name_en: str
    guidance_zh: str
    guidance_en: str

    @property
    def max_points(self) -> Decimal:
        return tenths_to_decimal(self.max_tenths)

    def name(self, lang: str = "zh") -> str:
        return self.name_en if lang == "en" else self.name_zh

    def guidance(self, lang: str = "zh") -> str:
        return self.guidance_en if lang == "en" else self.guidance_zh


DEFAULT_RUBRIC_VERSION = 1

DEFAULT_RUBRIC_V1: tuple[CriterionDef, ...] = (
    CriterionDef(
        "VC1", Dimension.VERIFICATION, 80,
        "面向用户开放的设施与设备",
        "Facilities and equipment open to users",
        "查看平台自有或共享的验证设施、中试线、测试平台和关键仪器，以及外部团队能否真正使用：是否公开设备清单、"
        "预约规则与收费标准，数据窗口内外部项目的使用机时和预约记录。满分：本领域核心验证设备齐备，按公开规则向"
        "外部团队开放预约，使用记录显示外部使用占比高（如外部项目机时过半）。设备齐全但主要自用，或开放无章可循、"
        "缺少使用记录的，一般给一半左右的分数。",
        "Look at the verification facilities, pilot lines, test benches and key instruments the platform "
        "owns or shares, and whether outside teams can really use them: a published equipment list, booking "
        "rules and fees, and the machine-hours and bookings of external projects in the data window. Full "
        "marks: the core verification equipment of the field is in place, bookable by outside teams on "
        "published terms, and the usage log shows a high external share (for example more than half of the "
        "machine-hours). Equipment that is mostly used in-house, or access without rules or usage records, "
        "earns about half.",
    ),
    CriterionDef(
        "VC2", Dimension.VERIFICATION, 80,
        "专业团队与技术经理人",
        "Professional team and technology managers",
        "考察专职团队的规模、结构与稳定性：是否覆盖技术验证、市场与知识产权、投融资等岗位，持证技术经理人数量，"
        "每位技术经理人服务的在研项目数，骨干人员的行业经验和流动情况。满分：专职团队结构完整且稳定，每个在研项目"
        "都有明确的技术经理人全程跟进，团队具备成功转化案例的实践经验。主要依靠兼职或临时人员的，酌情扣分。",
        "Assess the size, mix and stability of the full-time team: whether it covers technical verification, "
        "market and intellectual property, and investment; how many certified technology managers it has and "
        "how many active projects each one carries; the industry experience and turnover of key staff. Full "
        "marks: a complete, stable full-time team, a named technology manager following every active project "
        "from start to finish, and hands-on experience of successful transfers. Deduct where the work relies "
        "mainly on part-time or temporary staff.",
    ),
    CriterionDef(
        "VC3", Dimension.VERIFICATION, 60,
        "专家与顾问库（学术、产业、投资）",
        "Expert / adviser pool — academic, industry, investor",
        "查看专家库名单是否同时覆盖学术、产业和投资三类专家，专家是否真正参与项目遴选、阶段门评审和辅导（会议纪要、"
        "评审意见），以及专家回避和保密规则。满分：三类专家均有具名人员，数据窗口内每个在研项目至少经过一位产业专家"
        "和一位投资专家的评审或辅导，并有书面记录。只有名单、缺少参与记录的，最多给一半分数。",
        "Check that the pool names academic, industry and investor experts alike, that they actually take "
        "part in project selection, gate reviews and mentoring (minutes, written opinions), and that recusal "
        "and confidentiality rules exist. Full marks: all three kinds are represented by named people, and in "
        "the data window every active project was reviewed or mentored by at least one industry and one "
        "investor expert, with written records. A list of names without records of involvement earns at "
        "most half.",
    ),
    CriterionDef(
        "VC4", Dimension.VERIFICATION, 80,
        "验证方法、标准与第三方检测",
        "Verification methods, standards and third-party testing",
        "考察平台是否针对各阶段制定书面的技术验证与市场验证（“双验证”）方法，是否采用国家、行业或国际标准，"
        "关键性能指标是否由具备 CMA/CNAS 资质的第三方检测机构出具报告，验证报告能否复核。满分：有成文的验证规程并"
        "在各项目中一致执行，关键结论有第三方检测或用户现场验证支撑，报告数据可追溯、可复现。",
        "Assess whether the platform has written methods for technical and market verification (the 'dual "
        "verification') at each stage, uses national, industry or international standards, obtains reports "
        "on key performance claims from CMA/CNAS-accredited third-party laboratories, and whether its "
        "verification reports can be checked. Full marks: written procedures applied consistently across "
        "projects, key conclusions backed by third-party testing or on-site user validation, and report data "
        "that is traceable and reproducible.",
    ),
    CriterionDef(
        "SE1", Dimension.SERVICE, 100,
        "完成验证的项目与通过的阶段门",
        "Projects verified and gates passed",
        "结合证据面板中的分阶段项目数和数据窗口内通过的阶段门（通过、有条件通过），评价项目管线的规模和流动性，"
        "并与平台规模相称地比较。也要看决策质量：评审意见是否写明理由，没有前景的项目是否及时终止而不是长期搁置。"
        "满分：S1—S3 各阶段门持续有项目通过，决策记录完整，项目管线健康；只有立项、少有项目过门的，得分应偏低。",
        "Using the evidence panel (projects by stage, gates passed with go or conditional go in the data "
        "window), judge the size and flow of the project pipeline relative to the platform's scale. Judge the "
        "quality of decisions too: rationales are written down, and projects without prospects are stopped in "
        "time rather than left idle. Full marks: a steady flow of projects through the S1–S3 gates, complete "
        "decision records and a healthy pipeline; many registered projects but few gates passed should score "
        "low.",
    ),
    CriterionDef(
        "SE2", Dimension.SERVICE, 100,
        "技术成熟度（TRL）提升",
        "TRL advancement",
        "看证据面板中数据窗口内项目的 TRL 提升中位数，并核对所声称的等级是否有测试报告、样机演示等证据支撑，"
        "而不只是自评。满分：TRL 提升中位数不少于 2 级且证据充分，有若干项目达到 TRL 6—7（相关或真实环境中的"
        "系统原型演示）。声称的提升缺少证据的，按有证据的等级计。",
        "Look at the median TRL gain of projects in the data window on the evidence panel, and check that the "
        "claimed levels are backed by test reports, prototype demonstrations or similar evidence rather than "
        "self-assessment alone. Full marks: a median gain of at least two levels, well evidenced, with several "
        "projects reaching TRL 6–7 (system prototype demonstrated in a relevant or real environment). Count "
        "unevidenced gains at the level the evidence supports.",
    ),
    CriterionDef(
        "SE3", Dimension.SERVICE, 100,
        "成果转化（许可、转让、作价投资）数量与合同金额",
        "Conversions by licence / assignment / equity: count and contract value",
        "统计数据窗口内以许可、转让、作价投资方式完成的转化项数和合同金额，须有已签署的合同等证据，并关注交易对方"
        "是否独立、金额是否真实到账或按约履行。与平台规模相称地比较。满分：窗口内有多项已签约转化，合同金额经核实且"
        "具有一定规模，交易对方与平台及项目团队无关联。",
        "Count the conversions completed in the data window by licence, assignment or equity investment and "
        "their contract value; each needs evidence such as a signed contract. Check that counterparties are "
        "independent and that amounts are real (received or being paid as agreed). Compare with the "
        "platform's scale. Full marks: several signed conversions in the window with verified, substantial "
        "contract value and counterparties unrelated to the platform or the project team.",
    ),
    CriterionDef(
        "SE4", Dimension.SERVICE, 100,
        "孵化企业与后续融资",
        "Spin-outs and follow-on investment",
        "看数据窗口内依托平台项目注册成立的企业数量，以及这些企业或项目获得的后续社会融资金额与投资方质量，"
        "须有工商登记、投资协议或到账凭证。满分：窗口内有孵化企业完成注册并获得外部机构的后续投资，金额有凭证；"
        "只有注册、尚无外部融资的，给部分分数。",
        "Look at the companies registered in the data window on the basis of platform projects, and at the "
        "follow-on investment these companies or projects raised and the quality of the investors; evidence "
        "is a business registration, an investment agreement or proof of payment. Full marks: spin-outs "
        "registered in the window that have raised evidenced follow-on investment from outside investors; "
        "registration without outside investment earns part of the points.",
    ),
    CriterionDef(
        "SE5", Dimension.SERVICE, 50,
        "用户满意度",
        "User satisfaction",
        "查看平台对项目团队、企业出题人等服务对象的满意度调查：调查方法、覆盖面与回收率、满意度结果，以及投诉处理和"
        "改进措施。满分：有系统的调查，回收率合理，满意度高，并能说明根据反馈做出的具体改进。没有调查或只有零星"
        "表扬信的，得分应偏低。",
        "Review the satisfaction surveys of the people the platform serves (project teams, enterprise demand "
        "owners): method, coverage and response rate, results, and how complaints were handled and acted on. "
        "Full marks: a systematic survey with a reasonable response rate, high satisfaction, and concrete "
        "changes made in response to feedback. No survey, or a few letters of praise only, should score low.",
    ),
    CriterionDef(
        "OM1", Dimension.OPERATING, 80,
        "市场化收入与自我造血能力",
        "Market income / self-sustainability",
        "考察服务收费、委托研发、技术服务和股权收益等市场化收入占运营成本的比例及其变化趋势，与财政补助相比较，"
        "并看平台是否有可信的可持续经营计划。满分：市场化收入覆盖运营成本的相当部分且逐年增长，收入有财务凭证，"
        "经营计划可信；主要依赖财政资金的，得分应偏低。",
        "Assess market income (service fees, contract research, technical services, equity returns) as a share "
        "of operating costs and its trend, compared with government subsidies, and whether the platform has "
        "a credible plan to sustain itself. Full marks: market income covers a substantial and growing share "
        "of costs, is backed by financial records, and the business plan is credible; a platform that relies "
        "mainly on public money should score low.",
    ),
    CriterionDef(
        "OM2", Dimension.OPERATING, 70,
        "与基金和社会资本的联动",
        "Linkage with funds and social capital",
        "看平台与概念验证基金、风险投资、产业基金、银行等的合作：合作协议、项目推荐与对接记录、联合投资或基金"
        "投资的项目。满分：与多家基金或投资机构建立正式合作，数据窗口内有平台项目获得合作基金投资或联合投资，"
        "并有投资协议等证据；只有合作协议、没有落地项目的，给部分分数。",
        "Look at the platform's cooperation with proof-of-concept funds, venture capital, industrial funds and "
        "banks: agreements, referral and matchmaking records, projects co-invested or invested by funds. Full "
        "marks: formal cooperation with several funds or investors and, in the data window, platform projects "
        "that received investment from them, with investment agreements as evidence; agreements without any "
        "resulting investment earn part of the points.",
    ),
    CriterionDef(
        "OM3", Dimension.OPERATING, 50,
        "里程碑管理合规性与数据质量",
        "Milestone-management compliance and data quality",
        "结合证据面板中的按期完成率和逾期数，检查里程碑是否写明交付物、是否按时更新状态、已完成的里程碑是否附有"
        "证据材料，系统数据与平台报告是否一致。满分：按期率高，没有长期逾期的必达里程碑，完成的里程碑均有证据，"
        "数据真实一致。数据缺漏或与报告矛盾的，应明显扣分。",
        "Using the on-time rate and overdue count on the evidence panel, check that milestones name their "
        "deliverables, that their status is updated on time, that completed milestones carry evidence, and "
        "that the data in the system matches the platform's reports. Full marks: a high on-time rate, no "
        "long-overdue must-meet milestones, evidence on every completed milestone and consistent data. Missing "
        "data or data that contradicts the reports should cost clearly.",
    ),
    CriterionDef(
        "OM4", Dimension.OPERATING, 50,
        "治理：制度、知识产权与利益冲突",
        "Governance: rules, IP, conflicts of interest",
        "查看平台是否有成文并实际执行的项目遴选、知识产权归属与收益分配、利益冲突申报与回避、财务管理等制度，"
        "决策机构（理事会、专家委员会）是否运转，审计或检查中是否发现问题。满分：制度完整并公开，执行有记录，"
        "利益冲突均已申报登记，数据窗口内无合规问题。",
        "Check that the platform has written rules, applied in practice, for project selection, IP ownership "
        "and benefit sharing, declaring and handling conflicts of interest, and financial management; that its "
        "decision bodies (board, expert committee) function; and whether audits or inspections found problems. "
        "Full marks: complete, published rules applied with records, every conflict of interest declared and "
        "registered, and no compliance findings in the data window.",
    ),
)


#: a refused point value or score: a DomainError whose `field` is the criterion code (or the form field)
ScoreError = DomainError


# Digits with an optional fractional part; the fractional part is checked exactly afterwards so that
# "7.50" (exactly 7.5) is accepted while "7.55" is refused.
_POINTS_RE = re.compile(r"(?:\d{1,7}(?:\.\d*)?|\.\d+)")
_NEGATIVE_RE = re.compile(r"-\s*(?:\d+(?:\.\d*)?|\.\d+)")
_MAX_POINTS = 1_000_000  # far above any criterion; keeps the arithmetic small


def _invalid(field: str) -> ScoreError:
    return DomainError("points_invalid", field)


def _negative(field: str) -> ScoreError:
    return DomainError("points_negative", field)


def parse_points(value: object, field: str = "points") -> int:
    """Parse a point value (int, float, str or Decimal) into integer tenths: ``"7.5"`` → 75.

    At most one decimal place of precision is accepted (``"7.50"`` is exactly 7.5 and accepted;
    ``"7.55"`` is refused); negatives, NaN/infinity, booleans and anything else raise `ScoreError`.
    Floats are read through their shortest repr, so ``0.1`` is one tenth.
    """
    if isinstance(value, bool) or value is None:
        raise _invalid(field)
    if isinstance(value, int):
        exact = Fraction(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise _invalid(field)
        exact = Fraction(Decimal(repr(value)))
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise _invalid(field)
        exact = Fraction(value)
    elif isinstance(value, str):
        text = value.strip()
        if _NEGATIVE_RE.fullmatch(text):
            raise _negative(field)
        if not _POINTS_RE.fullmatch(text):
            raise _invalid(field)
        try:
            exact = Fraction(Decimal(text))
        except InvalidOperation:  # pragma: no cover - the pattern already guarantees a number
            raise _invalid(field) from None
    else:
        raise _invalid(field)
    if exact < 0:
        raise _negative(field)
    if exact > _MAX_POINTS:
        raise DomainError("points_too_large", field)
    tenths = exact * 10
    if tenths.denominator != 1:
        raise DomainError("points_too_many_decimals", field)
    return int(tenths)


def format_tenths(tenths: int) -> str:
    """Integer tenths as a point string with exactly one decimal: 75 → ``"7.5"``, 80 → ``"8.0"``."""
    if isinstance(tenths, bool) or not isinstance(tenths, int):
        raise TypeError(f"tenths must be an int, got {type(tenths).__name__}")
    sign = "-" if tenths < 0 else ""
    whole, frac = divmod(abs(tenths), 10)
    return f"{sign}{whole}.{frac}"


def tenths_to_decimal(tenths: int) -> Decimal:
    """Integer tenths as an exact one-decimal Decimal: 75 → Decimal('7.5')."""
    return Decimal(format_tenths(tenths))


def criteria_by_code(criteria: Iterable[CriterionDef]) -> dict[str, CriterionDef]:
    """Criteria keyed by code, in rubric order; a duplicated code is a programming error."""
    by_code: dict[str, CriterionDef] = {}
    for criterion in criteria:
        if criterion.code in by_code:
            raise ValueError(f"duplicate criterion code {criterion.code!r}")
        by_code[criterion.code] = criterion
    return by_code


def dimension_max_tenths(criteria: Iterable[CriterionDef]) -> dict[Dimension, int]:
    """Maximum of each dimension in tenths, summed from its criteria, in `Dimension` order."""
    sums: dict[Dimension, int] = {}
    for criterion in criteria:
        sums[criterion.dimension] = sums.get(criterion.dimension, 0) + criterion.max_tenths
    return {dim: sums[dim] for dim in Dimension if dim in sums}


def dimension_max_points(criteria: Iterable[CriterionDef]) -> dict[Dimension, Decimal]:
    """Maximum of each dimension in points (exact), as `eligibility.PlatformFacts.dimension_max` expects."""
    return {dim: tenths_to_decimal(t) for dim, t in dimension_max_tenths(criteria).items()}


def collect_score_errors(
    criteria: Iterable[CriterionDef], scores: Mapping[str, object], *, complete: bool = False
) -> list[ScoreError]:
    """Every problem with `scores` (criterion code → tenths): criteria in rubric order, then unknown codes.

    With ``complete=True`` (submitting a review) every criterion must have a score.
    """
    by_code = criteria_by_code(criteria)
    errors: list[ScoreError] = []
    for code, criterion in by_code.items():
        if code not in scores:
            if complete:
                errors.append(DomainError("score_missing", code, code=code))
            continue
        value = scores[code]
        if isinstance(value, bool) or not isinstance(value, int):
            errors.append(_invalid(code))
        elif not 0 <= value <= criterion.max_tenths:
            limit = format_tenths(criterion.max_tenths)
            errors.append(DomainError("score_out_of_range", code, code=code, max=limit))
    for code in sorted((c for c in scores if c not in by_code), key=str):
        errors.append(DomainError("unknown_criterion", str(code), code=code))
    return errors


def validate_scores(
    criteria: Iterable[CriterionDef], scores: Mapping[str, object], *, complete: bool = False
) -> dict[str, int]:
    """Check scores (criterion code → integer tenths) against the rubric; raise the first `ScoreError`.

    Unknown codes and points outside 0..max raise with ``field`` = the criterion code.  Returns the
    scores re-ordered in rubric order.
    """
    criteria = tuple(criteria)
    errors = collect_score_errors(criteria, scores, complete=complete)
    if errors:
        raise errors[0]
    return {c.code: scores[c.code] for c in criteria if c.code in scores}  # type: ignore[misc]
