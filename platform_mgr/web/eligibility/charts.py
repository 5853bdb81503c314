"""Chart specifications of the eligibility pages for static/js/charts.js (labels in the request's language)."""
from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from ...domain.eligibility import RuleSet
from ...enums import Dimension
from ...i18n import label

MEAN_COLOUR = "#0d6efd"
LOW_COLOUR = "#dc3545"
FLOOR_COLOUR = "#212529"


def dimension_figures(row: dict[str, Any], rules: RuleSet) -> list[dict[str, Any]]:
    """Each dimension's mean, floor and maximum as R3 judged them: the means from the row, the floor and
    maximum from R3's figures (the floor is the rules' share of the maximum). Empty when unscored."""
    if not row.get("n_reviews"):
        return []
    figures: dict[str, Any] = {}
    for reason in row.get("reasons", ()):
        if reason["rule"] == "R3_DIMENSION_FLOOR":
            figures = reason["figures"]
    means = row.get("dimensions", {})
    order = [d.value for d in Dimension if d.value in means] + sorted(k for k in means if k not in set(Dimension))
    out = []
    for key in order:
        mean = means[key]
        if mean is None:
            continue
        maximum = figures.get(f"{key}_max")
        if maximum is None:
            try:
                maximum = Dimension(key).max_points
            except ValueError:
                continue
        floor = figures.get(f"{key}_floor")
        if floor is None:
            floor = maximum * rules.dimension_floor_pct / 100
        out.append({"key": key, "mean": float(mean), "floor": float(floor), "max": float(maximum),
                    "below": float(mean) < float(floor)})
    return out


def dimension_chart(dims: list[dict[str, Any]]) -> dict[str, Any]:
    """A bar per dimension (its mean; red when below the floor) with the floor marked across it."""
    return {
        "dimensions": {
            "type": "bar", "labels": [str(label(d["key"], "Dimension")) for d in dims], "decimals": 1,
            "axis": _("Points"),
            "datasets": [
                {"label": _("Mean"), "data": [d["mean"] for d in dims], "color": MEAN_COLOUR,
                 "colors": [LOW_COLOUR if d["below"] else MEAN_COLOUR for d in dims]},
                {"label": _("Floor"), "data": [d["floor"] for d in dims], "color": FLOOR_COLOUR, "marker": True},
                {"label": _("Maximum"), "data": [d["max"] for d in dims], "color": "#adb5bd", "marker": True},
            ],
        },
    }
