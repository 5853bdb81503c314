"""/admin/users: list, invite, edit, deactivate / reactivate; all API tokens."""
from .routes import bp  # noqa: F401
