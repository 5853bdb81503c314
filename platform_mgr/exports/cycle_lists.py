"""The eligibility list and the review results of a cycle, as tables.

Built only from an `EligibilityResult` document: for a closed cycle that is the snapshot's
frozen text, so the rows — and therefore the bytes of the CSV and XLSX — never change.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from typing import Any

from .. import clock
from ..enums import Dimension, Grade, PlatformField, PlatformOrigin, RuleCode, Tier, Verdict
from .columns import PASSED, Column, label
from .table import Table

RULE_CODES = RuleCode.values()

_IDENTITY = (
    Column("rank", "排名", "Rank", "int", 8),
    Column("code", "平台代码", "Code", "text", 10),
    Column("name_zh", "平台名称", "Platform (Chinese)", "text", 28),
    Column("name_en", "平台英文名称", "Platform (English)", "text", 28),
    Column("host_institution", "依托单位", "Host institution", "text", 24),
    Column("field", "领域", "Field", "text", 18),
    Column("origin", "组建方式", "Origin", "text", 14),
)
_PUBLIC = _IDENTITY + (
    Column("total", "总分", "Total", "points", 10),
    Column("grade", "等级", "Grade", "text", 14),
    Column("verdict", "资助结论", "Verdict", "text", 20),
    Column("tier", "资助档次", "Tier", "text", 12),
    Column("award", "资助金额（元）", "Award (yuan)", "yuan", 14),
    Column("award_wan", "资助金额（万元）", "Award (10k yuan)", "wan", 14),
)
_FULL = _PUBLIC + (
    Column("n_reviews", "有效评审数", "Counted reviews", "int", 10),
    Column("disputed", "评分争议", "Disputed", "bool", 10),
) + tuple(Column(code.value, code.zh, code.en, "text", 14) for code in RuleCode) + (
    Column("explanation_zh", "逐条说明（中文）", "Explanation (Chinese)", "text", 60),
    Column("explanation_en", "逐条说明（英文）", "Explanation (English)", "text", 60),
)

RESULT_COLUMNS = _IDENTITY + (
    Column("n_reviews", "有效评审数", "Counted reviews", "int", 10),
    Column("total", "总分（截尾均值）", "Total (trimmed mean)", "points", 12),
    Column("std", "标准差", "Standard deviation", "points", 10),
    Column("min", "最低分", "Minimum", "points", 10),
    Column("max", "最高分", "Maximum", "points", 10),
) + tuple(Column(f"dim_{d.value}", f"{d.zh}均分", f"{d.en} mean", "points", 14) for d in Dimension) + (
    Column("normalised_total", "标准化总分", "Normalised total", "points", 12),
    Column("disputed", "评分争议", "Disputed", "bool", 10),
)


#: the headers that changed with docs/glossary.md (snapshot format 2): a list frozen before (format 1) is still
#: written with the headers it was frozen with, so its bytes — and the SHA-256 recorded at its close — never change
_FORMAT_1_HEADERS = {
    "origin": ("建设方式", "Origin"),
    "award_wan": ("资助金额（万元）", "Award (10,000 yuan)"),
    "n_reviews": ("有效评审份数", "Counted reviews"),
    RuleCode.R1_MIN_REVIEWS.value: ("R1 有效评审份数", "R1 Minimum reviews"),
}


def _columns(columns: tuple[Column, ...], document: dict[str, Any]) -> tuple[Column, ...]:
    if document.get("format", 1) >= 2:
        return columns
    return tuple(replace(c, zh=_FORMAT_1_HEADERS[c.key][0], en=_FORMAT_1_HEADERS[c.key][1])
                 if c.key in _FORMAT_1_HEADERS else c for c in columns)


def _identity(row: dict[str, Any]) -> list[Any]:
    return [row["rank"], row["code"], row["name_zh"], row["name_en"], row["host_institution"],
            label(PlatformField, row["field"]), label(PlatformOrigin, row["origin"])]


def _explanation(row: dict[str, Any], lang: str) -> str:
    key = "detail_en" if lang == "en" else "detail_zh"
    sep = ": " if lang == "en" else "："
    return "\n".join(f"{r['rule'][:2]}{sep}{r[key]}" for r in row["reasons"])


def eligibility_rows(document: dict[str, Any], *, public: bool) -> Iterator[list[Any]]:
    for row in document["rows"]:
        out = _identity(row) + [row["total"], label(Grade, row["grade"]), label(Verdict, row["verdict"]),
                                label(Tier, row["tier"]), row["award"], row["award"]]
        if not public:
            passed = {r["rule"]: r["passed"] for r in row["reasons"]}
            out += [row["n_reviews"], row["disputed"]]
            out += [label(PASSED, passed.get(code)) for code in RULE_CODES]
            out += [_explanation(row, "zh"), _explanation(row, "en")]
        yield out


def result_rows(document: dict[str, Any]) -> Iterator[list[Any]]:
    for row in document["results"]:
        dims = row.get("dimensions") or {}
        yield _identity(row) + [row["n_reviews"], row["total"], row["std"], row["min"], row["max"]] + [
            dims.get(key) for key in Dimension.values()] + [row["normalised_total"], row["disputed"]]


def _created(result) -> datetime:
    return result.frozen_at if result.frozen else clock.now()


def eligibility_table(result, *, public: bool = False) -> Table:
    document = result.document
    stem = "eligibility.public" if public else "eligibility"
    return Table(
        name="eligibility",
        filename=f"eligibility{'-public' if public else ''}-cycle{result.cycle_id}",
        sheet="公示名单" if public else "资助资格",
        columns=_columns(_PUBLIC if public else _FULL, document),
        rows=lambda: eligibility_rows(document, public=public),
        created=_created(result),
        digest_key=stem if result.frozen else None,
        snapshot=result.snapshot if result.frozen else None,
        in_memory=True,
    )


def results_table(result) -> Table:
    document = result.document
    return Table(
        name="results",
        filename=f"results-cycle{result.cycle_id}",
        sheet="评审结果",
        columns=_columns(RESULT_COLUMNS, document),
        rows=lambda: result_rows(document),
        created=_created(result),
        digest_key="results" if result.frozen else None,
        snapshot=result.snapshot if result.frozen else None,
        in_memory=True,
    )
