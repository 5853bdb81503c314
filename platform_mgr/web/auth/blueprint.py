"""The auth blueprint object (sign-in, account links, API tokens); ``routes`` imports every module adding to it."""
from flask import Blueprint

bp = Blueprint("auth", __name__)
