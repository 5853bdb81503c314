"""CSV writer: UTF-8 with a byte-order mark (Excel then reads Chinese correctly), one row at a time.

`iter_csv` is a generator of bytes: the BOM and the bilingual header first, then one chunk per row,
so a view can stream an export of any size.  Knows nothing of HTTP.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from .cells import text_value
from .columns import Column

BOM = "\ufeff".encode("utf-8")


class _Line:
    """A csv.writer target that hands back the last written line."""

    def __init__(self) -> None:
        self.buffer = io.StringIO()

    def take(self) -> str:
        value = self.buffer.getvalue()
        self.buffer.seek(0)
        self.buffer.truncate(0)
        return value


def iter_csv(columns: Sequence[Column], rows: Iterable[Sequence[Any]]) -> Iterator[bytes]:
    line = _Line()
    writer = csv.writer(line.buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([c.header for c in columns])
    yield BOM + line.take().encode("utf-8")
    for row in rows:
        writer.writerow([text_value(c, v) for c, v in zip(columns, row, strict=True)])
        yield line.take().encode("utf-8")
