"""Table tests for the rubric: default criteria, exact point parsing, score validation."""
from __future__ import annotations

import ast
import re
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from platform_mgr.messages import MESSAGES

from platform_mgr.domain.rubric import (
    DEFAULT_RUBRIC_V1,
    CriterionDef,
    Dimension,
    ScoreError,
    collect_score_errors,
    criteria_by_code,
    dimension_max_points,
    dimension_max_tenths,
    format_tenths,
    parse_points,
    tenths_to_decimal,
    validate_scores,
)

CJK = re.compile(r"[\u4e00-\u9fff]")
DOMAIN_DIR = Path(__file__).resolve().parents[2] / "platform_mgr" / "domain"


# --- the default rubric (DESIGN §4) -------------------------------------------------------------

@pytest.mark.parametrize(
    "code, dimension, max_tenths",
    [
        ("VC1", Dimension.VERIFICATION, 80),
        ("VC2", Dimension.VERIFICATION, 80),
        ("VC3", Dimension.VERIFICATION, 60),
        ("VC4", Dimension.VERIFICATION, 80),
        ("SE1", Dimension.SERVICE, 100),
        ("SE2", Dimension.SERVICE, 100),
        ("SE3", Dimension.SERVICE, 100),
        ("SE4", Dimension.SERVICE, 100),
        ("SE5", Dimension.SERVICE, 50),
        ("OM1", Dimension.OPERATING, 80),
        ("OM2", Dimension.OPERATING, 70),
        ("OM3", Dimension.OPERATING, 50),
        ("OM4", Dimension.OPERATING, 50),
    ],
)
def test_default_rubric_criteria(code, dimension, max_tenths):
    criterion = criteria_by_code(DEFAULT_RUBRIC_V1)[code]
    assert criterion.dimension is dimension
    assert criterion.max_tenths == max_tenths


def test_default_rubric_has_thirteen_criteria_in_order():
    assert [c.code for c in DEFAULT_RUBRIC_V1] == [
        "VC1", "VC2", "VC3", "VC4", "SE1", "SE2", "SE3", "SE4", "SE5", "OM1", "OM2", "OM3", "OM4",
    ]


def test_dimension_maxima_add_up_to_the_design():
    # VC 8+8+6+8 = 30; SE 10*4+5 = 45; OM 8+7+5+5 = 25; total 100 points = 1000 tenths
    assert dimension_max_tenths(DEFAULT_RUBRIC_V1) == {
        Dimension.VERIFICATION: 300, Dimension.SERVICE: 450, Dimension.OPERATING: 250,
    }
    assert dimension_max_points(DEFAULT_RUBRIC_V1) == {
        Dimension.VERIFICATION: Decimal(30), Dimension.SERVICE: Decimal(45), Dimension.OPERATING: Decimal(25),
    }
    for dim, tenths in dimension_max_tenths(DEFAULT_RUBRIC_V1).items():
        assert dim.max_points * 10 == tenths
    assert sum(c.max_tenths for c in DEFAULT_RUBRIC_V1) == 1000


@pytest.mark.parametrize(
    "dimension, value, zh, en, max_points",
    [
        (Dimension.VERIFICATION, "verification", "验证能力", "Verification capability", 30),
        (Dimension.SERVICE, "service", "服务成效", "Service effectiveness", 45),
        (Dimension.OPERATING, "operating", "运营模式", "Operating model", 25),
    ],
)
def test_dimension_names(dimension, value, zh, en, max_points):
    assert dimension == value and Dimension(value) is dimension
    assert (dimension.zh, dimension.en, dimension.max_points) == (zh, en, max_points)
    assert dimension.label("zh") == zh and dimension.label("en") == en


@pytest.mark.parametrize("criterion", DEFAULT_RUBRIC_V1, ids=lambda c: c.code)
def test_every_criterion_has_bilingual_guidance(criterion):
    assert CJK.search(criterion.name_zh) and CJK.search(criterion.guidance_zh)
    assert not CJK.search(criterion.name_en) and not CJK.search(criterion.guidance_en)
    # real guidance: says what full marks take, in both languages
    assert "满分" in criterion.guidance_zh and "Full marks" in criterion.guidance_en
    assert len(criterion.guidance_zh) > 100 and len(criterion.guidance_en) > 250


def test_guidance_texts_are_all_different():
    assert len({c.guidance_en for c in DEFAULT_RUBRIC_V1}) == 13
    assert len({c.guidance_zh for c in DEFAULT_RUBRIC_V1}) == 13


def test_criterion_is_frozen():
    with pytest.raises(AttributeError):
        DEFAULT_RUBRIC_V1[0].max_tenths = 100  # type: ignore[misc]


def test_duplicate_codes_are_a_programming_error():
    with pytest.raises(ValueError):
        criteria_by_code(DEFAULT_RUBRIC_V1 + DEFAULT_RUBRIC_V1[:1])


# --- parse_points -------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "value, tenths",
    [
        (7, 70),
        (0, 0),
        (10, 100),
        ("7.5", 75),
        (" 8.0 ", 80),
        ("8", 80),
        ("0.1", 1),
        (".5", 5),
        ("7.50", 75),  # exactly 7.5: the value has one decimal of precision
        (7.5, 75),
        (0.1, 1),  # read via repr, not the binary expansion 0.1000000000000000055...
        (2.3, 23),  # 2.3 * 10 == 22.999999999999996 in floats
        (Decimal("7.5"), 75),
        (Decimal("8"), 80),
        (Decimal("6.30"), 63),
    ],
)
def test_parse_points_accepts(value, tenths):
    assert parse_points(value) == tenths


@pytest.mark.parametrize(
    "value, code",
    [
        ("7.55", "points_too_many_decimals"),
        ("7.05", "points_too_many_decimals"),
        (7.55, "points_too_many_decimals"),
        (Decimal("0.05"), "points_too_many_decimals"),
        (-1, "points_negative"),
        (-0.5, "points_negative"),
        ("-1", "points_negative"),
        ("-0.5", "points_negative"),
        (Decimal("-2"), "points_negative"),
        (float("nan"), "points_invalid"),
        (float("inf"), "points_invalid"),
        ("NaN", "points_invalid"),
        ("Infinity", "points_invalid"),
        (Decimal("NaN"), "points_invalid"),
        (Decimal("Infinity"), "points_invalid"),
        (True, "points_invalid"),
        (False, "points_invalid"),
        (None, "points_invalid"),
        ("", "points_invalid"),
        ("abc", "points_invalid"),
        ("7,5", "points_invalid"),
        ("1e1", "points_invalid"),
        ([7], "points_invalid"),
        (10**9, "points_too_large"),
    ],
)
def test_parse_points_refuses(value, code):
    with pytest.raises(ScoreError) as info:
        parse_points(value, field="VC1")
    assert info.value.code == code
    assert info.value.field == "VC1"
    assert info.value.code in MESSAGES  # a code with words for people (platform_mgr/messages.py)


# --- validate_scores ----------------------------------------------------------------------------

@pytest.mark.parametrize(
    "scores, field, code",
    [
        ({"VC1": 81}, "VC1", "score_out_of_range"),  # VC1 max 8.0
        ({"VC1": -1}, "VC1", "score_out_of_range"),
        ({"SE5": 51}, "SE5", "score_out_of_range"),  # SE5 max 5.0
        ({"OM2": 71}, "OM2", "score_out_of_range"),  # OM2 max 7.0
        ({"XX9": 10}, "XX9", "unknown_criterion"),
        ({"VC1": 80, "vc1": 10}, "vc1", "unknown_criterion"),  # codes are exact
        ({"VC1": True}, "VC1", "points_invalid"),
        ({"VC1": 7.5}, "VC1", "points_invalid"),  # tenths are ints; parse_points first
        ({"VC1": "75"}, "VC1", "points_invalid"),
    ],
)
def test_validate_scores_refuses(scores, field, code):
    with pytest.raises(ScoreError) as info:
        validate_scores(DEFAULT_RUBRIC_V1, scores)
    assert (info.value.field, info.value.code) == (field, code)
    assert info.value.code in MESSAGES


@pytest.mark.parametrize(
    "scores",
    [
        {},
        {"VC1": 0},
        {"VC1": 80, "SE5": 50, "OM2": 70},  # every maximum is allowed
        {c.code: c.max_tenths for c in DEFAULT_RUBRIC_V1},
    ],
)
def test_validate_scores_accepts(scores):
    assert validate_scores(DEFAULT_RUBRIC_V1, scores) == scores


def test_out_of_range_message_names_the_maximum():
    with pytest.raises(ScoreError) as info:
        validate_scores(DEFAULT_RUBRIC_V1, {"OM2": 75})
    assert info.value.params == {"code": "OM2", "max": "7.0"}


def test_complete_review_needs_every_criterion():
    scores = {c.code: 10 for c in DEFAULT_RUBRIC_V1 if c.code != "SE3"}
    validate_scores(DEFAULT_RUBRIC_V1, scores)  # a draft may be partial
    with pytest.raises(ScoreError) as info:
        validate_scores(DEFAULT_RUBRIC_V1, scores, complete=True)
    assert (info.value.field, info.value.code) == ("SE3", "score_missing")


def test_collect_score_errors_reports_every_field_in_rubric_order():
    errors = collect_score_errors(DEFAULT_RUBRIC_V1, {"ZZ1": 1, "OM4": 99, "VC2": 81, "AA1": 1})
    assert [(e.field, e.code) for e in errors] == [
        ("VC2", "score_out_of_range"), ("OM4", "score_out_of_range"), ("AA1", "unknown_criterion"), ("ZZ1", "unknown_criterion"),
    ]


# --- formatting ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "tenths, text",
    [(75, "7.5"), (80, "8.0"), (0, "0.0"), (5, "0.5"), (1000, "100.0"), (999, "99.9"), (-5, "-0.5")],
)
def test_format_tenths(tenths, text):
    assert format_tenths(tenths) == text
    assert tenths_to_decimal(tenths) == Decimal(text)


@pytest.mark.parametrize("value", ["7.5", 7.5, True, None])
def test_format_tenths_wants_an_int(value):
    with pytest.raises(TypeError):
        format_tenths(value)  # type: ignore[arg-type]


@pytest.mark.parametrize("tenths", [0, 1, 9, 10, 75, 80, 99, 100, 455, 1000])
def test_format_and_parse_round_trip(tenths):
    assert parse_points(format_tenths(tenths)) == tenths


# --- purity -------------------------------------------------------------------------------------

@pytest.mark.parametrize("module", ["rubric.py", "scoring.py", "eligibility.py"])
def test_domain_modules_import_only_the_standard_library(module):
    tree = ast.parse((DOMAIN_DIR / module).read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            # relative imports: siblings in domain/ (level 1) or the pure platform_mgr.enums and .bilingual (level 2)
            base = {0: "", 1: "platform_mgr.domain.", 2: "platform_mgr."}[node.level]
            imported.add(base + (node.module or ""))
    for name in imported:
        top = name.split(".")[0]
        assert (name.startswith("platform_mgr.domain") or name in ("platform_mgr.enums", "platform_mgr.bilingual")
                or top in sys.stdlib_module_names or top == "__future__"), name
    assert not {"time", "datetime.datetime.now"} & imported
    source = (DOMAIN_DIR / module).read_text(encoding="utf-8")
    assert ".now(" not in source and ".today(" not in source and "time.time" not in source


def test_custom_criterion_definition():
    c = CriterionDef("X1", Dimension.SERVICE, 75, "名称", "Name", "指引", "Guidance")
    assert c.max_points == Decimal("7.5")
    assert c.name("en") == "Name" and c.guidance("zh") == "指引"
