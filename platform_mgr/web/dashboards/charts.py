"""Chart specifications for static/js/charts.js (one JSON object per page, keyed by the canvas's
data-chart name). Labels are translated here, in the request's language."""
from __future__ import annotations

from flask_babel import gettext as _

from ...i18n import label

STATUS_COLOURS = {"active": "#0d6efd", "on_hold": "#ffc107", "killed": "#dc3545", "transferred": "#198754",
                  "withdrawn": "#6c757d"}
MILESTONE_COLOURS = {"done": "#198754", "waived": "#adb5bd", "open": "#0d6efd", "overdue": "#dc3545"}
REVIEW_COLOURS = {"submitted": "#198754", "draft": "#0dcaf0", "not_started": "#dee2e6"}


def platform_charts(counts: dict[tuple[str, str], int], milestones: dict[str, dict[str, int]], stages, statuses) -> dict:
    """The operator's platform dashboard: projects per stage by status; milestones per stage by state."""
    stage_labels = [str(label(s, "Stage")) for s in stages]
    milestone_names = {"done": _("Done"), "waived": _("Waived"), "open": _("Open, on time"), "overdue": _("Overdue")}
    return {
        "stages": {
            "type": "bar", "labels": stage_labels, "stacked": True,
            "datasets": [{"label": str(label(st, "ProjectStatus")),
                          "data": [counts.get((s, st), 0) for s in stages], "color": STATUS_COLOURS.get(st, "#999")}
                         for st in statuses if any(counts.get((s, st), 0) for s in stages)],
        },
        "milestones": {
            "type": "bar", "labels": stage_labels, "stacked": True, "horizontal": True,
            "datasets": [{"label": str(name), "data": [milestones.get(s, {}).get(key, 0) for s in stages],
                          "color": MILESTONE_COLOURS[key]} for key, name in milestone_names.items()],
        },
    }


def reviewer_charts(cycles: dict, progress: dict) -> dict:
    """The reviewer's dashboard: their reviews per cycle by state."""
    ids = [cid for cid in progress]
    names = {"submitted": _("Submitted"), "draft": _("Draft"), "not_started": _("Not started")}
    return {
        "progress": {
            "type": "bar", "labels": [cycles[cid].name for cid in ids], "stacked": True, "horizontal": True,
            "datasets": [{"label": str(name), "data": [getattr(progress[cid], key) for cid in ids],
                          "color": REVIEW_COLOURS[key]} for key, name in names.items()],
        },
    }
