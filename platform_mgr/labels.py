"""Human labels of the stored enumerations, translatable (templates, exports, forms)."""
from flask_babel import lazy_gettext as _l

FIELDS = {
    "bci": _l("Brain–computer interfaces"),
    "silicon_photonics": _l("Silicon photonics"),
    "fourth_gen_semiconductors": _l("Fourth-generation semiconductors"),
    "cell_gene_therapy": _l("Cell and gene therapy"),
    "ic_materials": _l("Integrated-circuit materials"),
    "other": _l("Other"),
}
ORIGINS = {"top_down": _l("Top-down (commission-launched)"), "bottom_up": _l("Bottom-up (institution-built)")}
PLATFORM_STATUSES = {"active": _l("Active"), "suspended": _l("Suspended"), "delisted": _l("Delisted")}
ROLES = {"operator": _l("Platform operator"), "reviewer": _l("Reviewer"), "admin": _l("Commission officer")}
STAGES = {
    "S0": _l("S0 Demand discovery"),
    "S1": _l("S1 Technology sourcing"),
    "S2": _l("S2 Concept verification"),
    "S3": _l("S3 Scenario application"),
    "S4": _l("S4 Transfer"),
}
PROJECT_STATUSES = {
    "active": _l("Active"), "on_hold": _l("On hold"), "killed": _l("Killed"), "transferred": _l("Transferred"),
    "withdrawn": _l("Withdrawn"),
}
SELECTION_MODES = {"open_call": _l("Open call (揭榜挂帅)"), "horse_race": _l("Horse race (赛马制)"),
                   "direct": _l("Direct commission")}
MILESTONE_STATUSES = {"planned": _l("Planned"), "in_progress": _l("In progress"), "done": _l("Done"),
                      "waived": _l("Waived")}
DECISIONS = {"go": _l("Go"), "conditional_go": _l("Conditional go"), "hold": _l("Hold"), "recycle": _l("Recycle"),
             "kill": _l("Kill")}
OUTCOME_KINDS = {
    "licence": _l("Licence"), "assignment": _l("Assignment"), "equity": _l("Equity investment"),
    "spinout": _l("Spin-out"), "follow_on_investment": _l("Follow-on investment"), "contract": _l("Technology contract"),
}
CYCLE_STATES = {"draft": _l("Draft"), "open": _l("Open"), "closed": _l("Closed"), "published": _l("Published")}
REVIEW_STATES = {"not_started": _l("Not started"), "draft": _l("Draft"), "submitted": _l("Submitted")}
GRADES = {"excellent": _l("Excellent"), "good": _l("Good"), "pass": _l("Pass"), "fail": _l("Fail")}
VERDICTS = {"eligible": _l("Eligible"), "conditional": _l("Conditional"), "ineligible": _l("Ineligible")}
DIMENSIONS = {"verification": _l("Verification capability"), "service": _l("Service effectiveness"),
              "operating": _l("Operating model")}


def label(table: dict, value) -> str:
    if value is None:
        return ""
    return str(table.get(value, value))
