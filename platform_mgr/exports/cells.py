"""Cell values: formula-injection neutralisation and the text form of each column kind.

A spreadsheet treats a cell that begins with ``= + - @`` (or, in some programs, a tab, carriage
return or other control character) as a formula.  Every text cell of every export goes through
`neutralise`, which prefixes such a value with a single quote so it is shown, never evaluated.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .columns import YES_NO, Column, pair

_FORMULA_STARTS = frozenset("=+-@")


def dangerous(text: str) -> bool:
    if not text:
        return False
    first = text[0]
    return first in _FORMULA_STARTS or ord(first) < 0x20 or ord(first) == 0x7F


def neutralise(text: str) -> str:
    """Prefix a value a spreadsheet could read as a formula with a single quote."""
    return "'" + text if dangerous(text) else text


def as_date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _decimal(value: Any) -> Decimal:
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def wan(value: Any) -> Decimal:
    """Integer yuan in 万元, exact."""
    return _decimal(value) / 10000


def text_value(column: Column, value: Any) -> str:
    """The CSV text of one cell (also used for XLSX text cells)."""
    if value is None:
        return ""
    kind = column.kind
    if kind == "text":
        return neutralise(str(value))
    if kind in ("int", "yuan"):
        return str(int(value))
    if kind == "wan":
        return str(wan(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
    if kind == "points":
        return str(_decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
    if kind == "date":
        d = as_date(value)
        return d.isoformat() if d else ""
    if kind == "bool":
        return pair(*YES_NO[bool(value)])
    raise ValueError(kind)  # pragma: no cover - Column checks its kind
