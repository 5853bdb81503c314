"""/admin/platforms: create, edit, suspend / reactivate, delist, integrity flag, operators and gatekeepers."""
from .blueprint import bp  # noqa: F401
