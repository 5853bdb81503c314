"""The eligibility pages: ranked list with filters, per-platform explanation, public notice, what-if.

Visibility (permissions.can_view_results / can_view_platform_result): admins always — a live list
is labelled provisional; once the cycle is published everyone sees the list and the public
notice, operators see their own platform's explanation; before publication non-admins get 403.
"""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from ... import clock, permissions
from ...db import get_session
from ...enums import Grade, PlatformField, PlatformOrigin, Verdict
from ...errors import Invalid
from ...i18n import to_local
from ...loaders import load_cycle
from ...queries import eligibility as eq
from ...queries import platforms as pq
from ...services import eligibility as svc
from ..helpers import actor, page_args, require
from . import present
from .charts import dimension_chart, dimension_figures

bp = Blueprint("eligibility", __name__, url_prefix="/eligibility")

VERDICT_CHOICES = Verdict.values()
GRADE_CHOICES = Grade.values() + ("none",)
FILTERS = ("verdict", "grade", "field", "origin")


def _filters() -> dict[str, str]:
    allowed = {"verdict": VERDICT_CHOICES, "grade": GRADE_CHOICES, "field": PlatformField.values(),
               "origin": PlatformOrigin.values()}
    out = {}
    for name in FILTERS:
        value = request.args.get(name, "")
        if value in allowed[name]:
            out[name] = value
    return out


@bp.route("/")
@login_required
def index():
    a = actor()
    require(permissions.can_read_programme(a))
    states = ("draft", "open", "closed", "published") if a.is_admin else ("published",)
    page, per_page = page_args(25)
    cycles, frozen, total = eq.list_eligibility_cycles(get_session(), states=states, page=page, per_page=per_page)
    return render_template("eligibility/index.html", cycles=cycles, frozen=frozen, total=total, page=page,
                           per_page=per_page)


@bp.route("/cycles/<int:cycle_id>")
@login_required
def cycle(cycle_id: int):
    c = load_cycle(cycle_id, need=permissions.can_view_results)
    session, a = get_session(), actor()
    result = svc.get_eligibility(session, c)
    filters = _filters()
    rows = result.filtered(**filters)
    page, per_page = page_args(100, 500)
    shown = rows[(page - 1) * per_page: page * per_page]
    explained = {r["platform_id"] for r in shown if permissions.can_view_platform_result(a, c, r["platform_id"])}
    return render_template("eligibility/cycle.html", cycle=c, result=result, rows=shown, total=len(rows), page=page,
                           per_page=per_page, filters=filters, explained=explained, present=present,
                           verdict_choices=VERDICT_CHOICES, grade_choices=GRADE_CHOICES,
                           under_review=pq.under_delisting_review(session, c.id))


@bp.route("/cycles/<int:cycle_id>/platforms/<int:platform_id>")
@login_required
def platform(cycle_id: int, platform_id: int):
    c = load_cycle(cycle_id, need=permissions.can_view_results)
    session, a = get_session(), actor()
    require(permissions.can_view_platform_result(a, c, platform_id))
    result = svc.get_eligibility(session, c)
    row = result.row_for(platform_id)
    if row is None:
        pq.get_platform_or_404(session, platform_id)  # 404 for an unknown platform
        return render_template("eligibility/platform.html", cycle=c, result=result, row=None, present=present,
                               dims=[], charts=None), 404
    dims = dimension_figures(row, result.rules)
    return render_template("eligibility/platform.html", cycle=c, result=result, row=row, present=present,
                           dims=dims, charts=dimension_chart(dims) if dims else None)


@bp.route("/cycles/<int:cycle_id>/notice")
@login_required
def notice(cycle_id: int):
    """The printable public notice (公示名单): platforms proposed for funding, and those conditional."""
    session = get_session()
    c = load_cycle(cycle_id, need=permissions.can_view_results)
    result = svc.get_eligibility(session, c)
    # issued on the day the cycle was published (a Shanghai date); a live list is as of today, not of the
    # data window's end that its figures stop at
    issued_on = to_local(c.published_at).date() if c.published_at else None
    return render_template("eligibility/notice.html", cycle=c, result=result, issued_on=issued_on,
                           as_of=clock.today(), eligible=result.filtered(verdict="eligible"),
                           conditional=result.filtered(verdict="conditional"))


@bp.route("/cycles/<int:cycle_id>/what-if")
@login_required
def what_if(cycle_id: int):
    """Admins: the cycle recomputed with other thresholds or budget — a simulation, never stored."""
    session = get_session()
    c = eq.get_cycle_or_404(session, cycle_id)
    require(permissions.can_simulate_eligibility(actor()))
    current = svc.get_eligibility(session, c)
    base = current.rules.to_dict()
    values = {name: request.args.get(name, str(base[name])).strip() for name in present.PARAMETERS}
    values["budget"] = request.args.get("budget", str(current.budget)).strip()
    simulated, errors, status = None, {}, 200
    if request.args.get("run"):
        overrides = {name: values[name] for name in present.PARAMETERS if values[name] != ""}
        try:
            simulated = svc.simulate(session, c, overrides, budget=values["budget"] or None)
        except Invalid as exc:
            session.rollback()
            errors = {k: str(v) for k, v in exc.fields.items()}
            if not errors:
                errors = {"form": str(exc.message)}
            status = 422
    comparison = []
    if simulated is not None:
        before = {r["platform_id"]: r for r in current.rows}
        for row in simulated.rows:
            old = before.get(row["platform_id"])
            changed = old is None or any(old[k] != row[k] for k in ("rank", "grade", "verdict", "tier", "award"))
            comparison.append((old, row, changed))
    return render_template("eligibility/what_if.html", cycle=c, current=current, simulated=simulated,
                           comparison=comparison, values=values, errors=errors, present=present,
                           error_summary=_l("Please correct the marked fields.")), status
