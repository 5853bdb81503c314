"""/admin/platforms: create, edit, suspend / reactivate, delist, integrity flag, operators and gatekeepers."""
from .routes import bp  # noqa: F401
