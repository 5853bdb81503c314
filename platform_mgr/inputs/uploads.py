"""An uploaded file (multipart ``file``): its type and size are checked where it is stored (services/evidence)."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from spectree.model_adapter.pydantic_adapter import BaseFile


class Upload(BaseModel):
    model_config = ConfigDict(extra="ignore", arbitrary_types_allowed=True)

    file: BaseFile
