"""One way to read a page of a query: its rows and the total, two statements whatever the size; and the pattern
of a search box."""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session


def paginate(session: Session, stmt: Any, page: int, per_page: int) -> tuple[list[Any], int]:
    """The ``page``-th ``per_page`` rows of ``stmt`` (which carries its ORDER BY) and how many there are."""
    total = session.execute(select(func.count()).select_from(stmt.order_by(None).subquery())).scalar_one()
    rows = list(session.exec(stmt.offset((page - 1) * per_page).limit(per_page)).all())
    return rows, int(total)


def like_pattern(text: str) -> str:
    """``%text%`` for ``LIKE … ESCAPE '\\'``: the wildcards a person types are searched for, not used."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
