from typing import Optional

from sqlalchemy import JSON
from sqlmodel import Field

from .base import Timestamped


class Institution(Timestamped, table=True):
    """A university, hospital, institute or company (DESIGN §10). Users' affiliation and platforms' host
    institution refer to one; ``name_key`` is the normalised Chinese name (``domain.institutions.normalise``),
    unique, so two spellings of one name are one institution."""

    __tablename__ = "institution"

    id: Optional[int] = Field(default=None, primary_key=True)
    name_zh: str = Field(max_length=200)
    name_en: str = Field(default="", max_length=200)
    name_key: str = Field(max_length=200, unique=True, index=True)
    aliases: list = Field(default_factory=list, sa_type=JSON)  # other names it is known by
    parent_id: Optional[int] = Field(default=None, foreign_key="institution.id", ondelete="SET NULL", index=True)
    credit_code: Optional[str] = Field(default=None, max_length=18, unique=True)  # 统一社会信用代码
