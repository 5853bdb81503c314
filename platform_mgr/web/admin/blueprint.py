"""The /admin blueprint object; each module of the package adds its views to it (``routes`` imports them all)."""
from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")
