"""XLSX writer (XlsxWriter): bilingual header, frozen header row, number formats, no formulas ever.

Every text cell is written with ``write_string`` after `cells.neutralise`, numbers with
``write_number`` and a format, dates with ``write_datetime``; nothing is ever written with
``write`` (which would turn a leading "=" into a formula).  Rows are written in order with
``constant_memory``, so memory stays flat whatever the size.  The workbook's created date is given
by the caller and no other varying property is set, so equal rows give identical bytes.  Knows
nothing of HTTP.
"""
from __future__ import annotations

import io
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from typing import Any

import xlsxwriter

from .cells import as_date, text_value, wan
from .columns import Column

NUMBER_FORMATS = {"int": "0", "yuan": "#,##0", "wan": "#,##0.00", "points": "0.00", "date": "yyyy-mm-dd"}


def _naive_utc(value: datetime) -> datetime:
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value.replace(microsecond=0)


def write_xlsx(columns: Sequence[Column], rows: Iterable[Sequence[Any]], *, sheet_name: str,
               created: datetime) -> bytes:
    output = io.BytesIO()
    tmpdir = tempfile.mkdtemp(prefix="pm-xlsx-")
    try:
        workbook = xlsxwriter.Workbook(output, {"constant_memory": True, "tmpdir": tmpdir})
        workbook.set_properties({"created": _naive_utc(created)})
        sheet = workbook.add_worksheet(sheet_name[:31])
        header = workbook.add_format({"bold": True, "text_wrap": True, "valign": "top", "bottom": 1})
        wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
        plain = workbook.add_format({"valign": "top"})
        formats = {kind: workbook.add_format({"num_format": fmt, "valign": "top"})
                   for kind, fmt in NUMBER_FORMATS.items()}
        for i, column in enumerate(columns):
            sheet.set_column(i, i, column.width)
        sheet.set_row(0, 32)
        for i, column in enumerate(columns):
            sheet.write_string(0, i, column.header, header)
        sheet.freeze_panes(1, 0)
        r = 0
        for r, row in enumerate(rows, start=1):
            for i, (column, value) in enumerate(zip(columns, row, strict=True)):
                kind = column.kind
                if value is None or value == "":
                    sheet.write_blank(r, i, None, plain)
                elif kind in ("int", "yuan", "points"):
                    sheet.write_number(r, i, float(value) if kind == "points" else int(value), formats[kind])
                elif kind == "wan":
                    sheet.write_number(r, i, float(wan(value)), formats["wan"])
                elif kind == "date":
                    d = as_date(value)
                    sheet.write_datetime(r, i, datetime(d.year, d.month, d.day), formats["date"])
                else:  # text and bool: always a string, neutralised
                    text = text_value(column, value)
                    sheet.write_string(r, i, text, wrap if column.width >= 30 else plain)
        if columns:
            sheet.autofilter(0, 0, max(r, 1), len(columns) - 1)
        workbook.close()
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    return output.getvalue()
