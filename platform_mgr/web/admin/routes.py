"""The /admin blueprint; each module adds its views to ``bp``."""
from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from . import platforms, users  # noqa: E402,F401  (their views register on bp)
