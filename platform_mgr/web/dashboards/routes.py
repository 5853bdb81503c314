from datetime import timedelta

from flask import Blueprint, render_template
from flask_login import login_required

from ... import permissions
from ...db import get_session
from ...i18n import label, shanghai_today
from ...queries import dashboards as q
from ...queries.platforms import list_under_delisting_review
from ..helpers import actor, page_args, require

bp = Blueprint("dashboards", __name__, url_prefix="/dashboards")

FIELD_COLOURS = {"bci": "#0d6efd", "silicon_photonics": "#6f42c1", "fourth_gen_semiconductors": "#fd7e14",
                 "cell_gene_therapy": "#198754", "ic_materials": "#dc3545", "other": "#6c757d"}
KIND_COLOURS = {"licence": "#0d6efd", "assignment": "#6610f2", "equity": "#fd7e14", "spinout": "#198754",
                "follow_on_investment": "#20c997", "contract": "#6c757d"}


@bp.route("/programme")
@login_required
def programme():
    """The commission's overview of the whole programme."""
    require(permissions.can_view_programme(actor()))
    session = get_session()
    today = shanghai_today()
    funnel = q.stage_funnel(session)
    trl = q.trl_distribution(session)
    conversions = q.conversions_by_quarter(session, since=today.replace(day=1) - timedelta(days=3 * 365))
    overdue, overdue_total = q.overdue_milestones(session, today)
    page, per_page = page_args(20)
    platforms, stage_counts, platform_total = q.platform_stage_table(session, page=page, per_page=per_page)
    stage_labels = [label(s, "Stage") for s in funnel["stages"]]
    charts = {
        "funnel": {
            "type": "bar",
            "labels": stage_labels,
            "datasets": [{"label": label(f, "PlatformField"), "data": [counts[s] for s in funnel["stages"]],
                          "color": FIELD_COLOURS.get(f, "#999")} for f, counts in sorted(funnel["by_field"].items())],
            "stacked": True, "horizontal": True,
        },
        "trl": {
            "type": "bar",
            "labels": [f"TRL {level}" for level in trl],
            "datasets": [{"label": str(label("active", "ProjectStatus")), "data": list(trl.values()),
                          "color": "#0d6efd"}],
        },
        "conversions": {
            "type": "bar",
            "labels": conversions["quarters"],
            "datasets": [{"label": label(kind, "OutcomeKind"),
                          "data": [round(conversions["data"].get(qr, {}).get(kind, {}).get("value", 0) / 10000, 1)
                                   for qr in conversions["quarters"]],
                          "color": colour} for kind, colour in KIND_COLOURS.items()],
            "stacked": True,
        },
    }
    for chart in charts.values():
        for ds in chart["datasets"]:
            ds["label"] = str(ds["label"])
    under_review = list_under_delisting_review(session)
    return render_template("dashboards/programme.html", funnel=funnel, stage_labels=stage_labels, trl=trl,
                           under_review=under_review,
                           charts=charts, conversion_totals=q.conversion_totals(session), overdue=overdue,
                           overdue_total=overdue_total, cycles=q.cycle_progress(session),
                           headline=q.headline(session, today), platforms=platforms, stage_counts=stage_counts,
                           platform_total=platform_total, page=page, per_page=per_page, today=today)
