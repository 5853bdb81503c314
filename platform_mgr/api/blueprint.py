"""The API's blueprint, on its own so that the modules declaring views and the package need not import each
other."""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")
