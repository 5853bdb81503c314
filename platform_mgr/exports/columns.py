"""Columns of an export and the bilingual labels written into cells.

Exports are bilingual and independent of the requester's language: headers read "中文 / English"
and enumerations are written as "中文 / English" too.  The labels are plain text here (not the
gettext catalog), so the bytes of a frozen export depend only on the frozen data.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..bilingual import Bilingual
from ..enums import Labelled

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
        return Bilingual(self.zh, self.en).pair


def pair(zh: str, en: str) -> str:
    return Bilingual(zh, en).pair


PASSED = {True: ("通过", "Passed"), False: ("未通过", "Failed")}
YES_NO = {True: ("是", "Yes"), False: ("否", "No")}


def label(vocabulary: type[Labelled] | dict, value) -> str:
    """'中文 / English' for a stored value: of an enum (its labels, `platform_mgr.enums`) or of a small table
    of pairs (PASSED); the value itself when unknown; empty for None."""
    if value is None:
        return ""
    if isinstance(vocabulary, dict):
        found = vocabulary.get(value)
        return pair(*found) if found else str(value)
    try:
        return vocabulary(value).pair
    except ValueError:
        return str(value)
