"""GET /api/v1/cycles/{id}/eligibility (DESIGN §7): admins always (provisional while the cycle is
open), everyone once the cycle is published; reasons only for the platforms the caller may see
explained (admins all, an operator their own)."""
from flask import jsonify, request

from .. import permissions
from ..db import get_session
from ..i18n import lang_code
from ..queries import eligibility as eq
from ..services import eligibility as svc
from . import serialise
from .core import current_actor, page_params, require, route
from .eligibility_schemas import EligibilityListOut

FILTERS = {"verdict": "eligible|conditional|ineligible", "grade": "excellent|good|pass|fail|none",
           "field": "platform field", "origin": "top_down|bottom_up", "page": "page number (1…)",
           "per_page": "rows per page (1…500, default 100)", "lang": "zh|en: language of `detail`"}


def row_json(row: dict, *, provisional: bool, explained: bool, lang: str) -> dict:
    reasons = []
    if explained:
        for r in row["reasons"]:
            reasons.append({"rule": r["rule"], "passed": r["passed"],
                            "detail": r["detail_en"] if lang == "en" else r["detail_zh"],
                            "detail_zh": r["detail_zh"], "detail_en": r["detail_en"], "figures": r["figures"]})
    return {
        "platform_id": row["platform_id"], "code": row["code"], "name_zh": row["name_zh"], "name_en": row["name_en"],
        "field": row["field"], "origin": row["origin"], "rank": row["rank"], "total": row["total"],
        "grade": row["grade"], "verdict": row["verdict"], "tier": row["tier"], "award": row["award"],
        "disputed": row["disputed"], "provisional": provisional, "n_reviews": row["n_reviews"],
        "explained": explained, "reasons": reasons,
    }


@route("/cycles/<int:cycle_id>/eligibility", ["GET"], response=EligibilityListOut, query=FILTERS,
       summary="Funding eligibility of a cycle: ranked rows with every rule's outcome (admin; everyone once "
               "published; provisional while open)")
def cycles_eligibility(cycle_id: int):
    session = get_session()
    actor = current_actor()
    cycle = eq.get_cycle_or_404(session, cycle_id)
    require(permissions.can_view_results(actor, cycle))
    page, per_page = page_params(default=100, maximum=500)
    result = svc.get_eligibility(session, cycle)
    rows = result.filtered(verdict=request.args.get("verdict") or None, grade=request.args.get("grade") or None,
                           field=request.args.get("field") or None, origin=request.args.get("origin") or None)
    lang = lang_code()
    items = [row_json(r, provisional=result.provisional,
                      explained=permissions.can_view_platform_result(actor, cycle, r["platform_id"]), lang=lang)
             for r in rows[(page - 1) * per_page: page * per_page]]
    summary = result.summary
    return jsonify({
        "cycle_id": cycle.id, "state": cycle.state, "provisional": result.provisional,
        "as_of": result.document["as_of"], "frozen_at": serialise.iso(result.frozen_at),
        "payload_digest": result.payload_digest, "inputs_digest": result.inputs_digest,
        "rubric_version": result.rubric_version, "rules": result.document["rules"], "budget": result.budget,
        "awarded": summary["awarded"], "remaining": summary["remaining"],
        "items": items, "page": page, "per_page": per_page, "total": len(rows),
    })
