"""Chart specifications of the results page for static/js/charts.js (labels in the request's language).

Built from the `CycleResults` the page already loaded: no query of their own."""
from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from ...queries.results import CycleResults

TOTAL_COLOUR = "rgba(13, 110, 253, 0.55)"
RANGE_COLOUR = "#6c757d"
MEAN_COLOUR = "#dc3545"
LENIENT_COLOUR = "#0dcaf0"
HARSH_COLOUR = "#fd7e14"


def _f(value) -> float:
    return float(value)


def strip_chart(res: CycleResults) -> dict[str, Any] | None:
    """One row per scored platform: a dot per counted reviewer total, its lowest and highest marked, and
    the (trimmed) mean that is the platform's total. None when no platform is scored."""
    rows = [row for row in res.rows if row.result.n > 0]
    if not rows:
        return None
    codes = [row.platform.code for row in rows]
    totals, lows, highs, means = [], [], [], []
    for row in rows:
        r, y = row.result, row.platform.code
        totals += [{"x": _f(t), "y": y} for t in sorted(r.reviewer_totals.values())]
        lows.append({"x": _f(r.min), "y": y})
        highs.append({"x": _f(r.max), "y": y})
        means.append({"x": _f(r.total), "y": y})
    return {
        "type": "scatter", "strip": True, "labels": codes, "decimals": 1, "beginAtZero": False,
        "axis": _("Reviewer total"), "rowHeight": 28,
        "datasets": [
            {"label": _("Counted reviewer totals"), "data": totals, "color": TOTAL_COLOUR, "point": "circle",
             "radius": 5},
            {"label": _("Min"), "data": lows, "color": RANGE_COLOUR, "point": "line", "rotation": 90, "radius": 9},
            {"label": _("Max"), "data": highs, "color": RANGE_COLOUR, "point": "line", "rotation": 90, "radius": 9},
            {"label": _("Total (trimmed mean)"), "data": means, "color": MEAN_COLOUR, "point": "rectRot", "radius": 7},
        ],
    }


def leniency_chart(res: CycleResults) -> dict[str, Any] | None:
    """A bar per reviewer with a leniency figure (the statistic of the table beside it): positive bars
    lenient, negative harsh. None when no reviewer can be compared with another."""
    rows = [(user, s) for user, s, _n in res.reviewers if s.leniency is not None]
    if not rows:
        return None
    values = [_f(s.leniency) for _user, s in rows]
    return {
        "type": "bar", "horizontal": True, "decimals": 1, "beginAtZero": True, "rowHeight": 26,
        "axis": _("Leniency (points)"),
        "labels": [user.display_name if user else str(s.reviewer_id) for user, s in rows],
        "datasets": [{"label": _("Leniency"), "data": values, "color": LENIENT_COLOUR,
                      "colors": [LENIENT_COLOUR if v >= 0 else HARSH_COLOUR for v in values]}],
    }


def results_charts(res: CycleResults) -> dict[str, Any]:
    """The charts of the reviewer breakdown (admins only, as the breakdown itself)."""
    charts = {"strip": strip_chart(res), "leniency": leniency_chart(res)}
    return {name: spec for name, spec in charts.items() if spec is not None}
