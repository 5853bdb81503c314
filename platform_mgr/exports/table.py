"""A table ready to be written as CSV or XLSX: columns, a re-iterable row source, fixed metadata."""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .columns import Column
from .csv_writer import iter_csv
from .xlsx_writer import write_xlsx

FORMATS = ("csv", "xlsx")
MIMETYPES = {"csv": "text/csv; charset=utf-8",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@dataclass(frozen=True)
class Table:
    name: str  # registry name
    filename: str  # without extension; ASCII
    sheet: str
    columns: Sequence[Column]
    rows: Callable[[], Iterable[Sequence[Any]]]  # each call starts the rows afresh
    created: datetime  # the workbook's created date (the snapshot time for a frozen list)
    digest_key: str | None = None  # set when the table is a frozen list: "eligibility", "results", …
    snapshot: Any = None  # the EligibilitySnapshot it was read from, when frozen
    in_memory: bool = False  # rows come from a document in memory: a hashing pass before streaming is cheap

    @property
    def reproducible(self) -> bool:
        return self.digest_key is not None

    @property
    def hashable(self) -> bool:
        """Whether a CSV response can carry its SHA-256 up front (two passes over the rows)."""
        return self.reproducible or self.in_memory

    def key(self, fmt: str) -> str | None:
        return f"{self.digest_key}.{fmt}" if self.digest_key else None

    def csv_chunks(self) -> Iterator[bytes]:
        return iter_csv(self.columns, self.rows())

    def xlsx_bytes(self) -> bytes:
        return write_xlsx(self.columns, self.rows(), sheet_name=self.sheet, created=self.created)

    def sha256(self, fmt: str) -> str:
        digest = hashlib.sha256()
        if fmt == "csv":
            for chunk in self.csv_chunks():
                digest.update(chunk)
        else:
            digest.update(self.xlsx_bytes())
        return digest.hexdigest()
