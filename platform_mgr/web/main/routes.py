from flask import Blueprint, redirect, render_template, url_for
from flask_login import login_required

from ..helpers import actor

bp = Blueprint("main", __name__)


@bp.route("/")
def index():
    return redirect(url_for("main.home"))


@bp.route("/home")
@login_required
def home():
    """Each role's home: the work waiting for them, and where to go next."""
    a = actor()
    return render_template("main/home.html", actor=a)


@bp.route("/healthz")
def healthz():
    return {"status": "ok"}
