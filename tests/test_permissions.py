"""The authorization matrix as a table: role × ownership × object state."""
from types import SimpleNamespace as NS

import pytest

from platform_mgr import permissions as P
from platform_mgr.permissions import ANONYMOUS, Actor

ADMIN = Actor(id=1, role="admin")
OP = Actor(id=2, role="operator", operator_platform_ids=frozenset({10}))
OTHER_OP = Actor(id=3, role="operator", operator_platform_ids=frozenset({20}))
GATEKEEPER = Actor(id=4, role="reviewer", gatekeeper_platform_ids=frozenset({10}))
ASSIGNED = Actor(id=5, role="reviewer", assigned_platform_ids=frozenset({10}))
REVIEWER = Actor(id=6, role="reviewer")
INACTIVE_ADMIN = Actor(id=7, role="admin", active=False)

PLATFORM = NS(id=10, status="active")
ACTIVE = NS(id=100, platform_id=10, status="active")
HELD = NS(id=101, platform_id=10, status="on_hold")
KILLED = NS(id=102, platform_id=10, status="killed")
TRANSFERRED = NS(id=103, platform_id=10, status="transferred")
PENDING_BY_OP = NS(requested_by_id=2, decision=None)
PENDING_BY_ADMIN = NS(requested_by_id=1, decision=None)
DECIDED = NS(requested_by_id=2, decision="go")

ALL = {"admin": ADMIN, "op": OP, "other_op": OTHER_OP, "gatekeeper": GATEKEEPER, "assigned": ASSIGNED,
       "reviewer": REVIEWER, "anon": ANONYMOUS, "inactive": INACTIVE_ADMIN}


def who(check):
    return sorted(name for name, actor in ALL.items() if check(actor))


@pytest.mark.parametrize("check,expected", [
    (lambda a: P.can_list_platforms(a), ["admin", "assigned", "gatekeeper", "op", "other_op", "reviewer"]),
    (lambda a: P.can_manage_platforms(a), ["admin"]),
    (lambda a: P.can_view_project(a, ACTIVE), ["admin", "assigned", "gatekeeper", "op"]),
    (lambda a: P.can_create_project(a, PLATFORM), ["admin", "op"]),
    (lambda a: P.can_create_project(a, NS(id=10, status="suspended")), ["admin"]),
    (lambda a: P.can_edit_project(a, ACTIVE), ["admin", "op"]),
    (lambda a: P.can_edit_project(a, HELD), []),  # hold leaves the project read-only until resumed
    (lambda a: P.can_edit_project(a, KILLED), []),
    (lambda a: P.can_edit_project(a, TRANSFERRED), []),
    # whose role lets them change the platform's projects at all: refused otherwise with 403, not 409
    (lambda a: P.can_change_projects_of(a, PLATFORM), ["admin", "op"]),
    (lambda a: P.can_change_projects_of(a, KILLED.platform_id), ["admin", "op"]),
    (lambda a: P.can_edit_milestones(a, ACTIVE), ["admin", "op"]),
    (lambda a: P.can_edit_milestones(a, HELD), []),
    (lambda a: P.can_waive_milestone(a, ACTIVE), ["admin"]),
    (lambda a: P.can_request_gate(a, ACTIVE), ["admin", "op"]),
    (lambda a: P.can_request_gate(a, HELD), []),
    (lambda a: P.can_decide_gate(a, ACTIVE, PENDING_BY_OP), ["admin", "gatekeeper"]),
    (lambda a: P.can_decide_gate(a, ACTIVE, PENDING_BY_ADMIN), ["gatekeeper"]),  # never the requester
    (lambda a: P.can_decide_gate(a, ACTIVE, DECIDED), []),
    (lambda a: P.can_resume_project(a, HELD), ["admin"]),
    (lambda a: P.can_view_gate_queue(a), ["admin", "gatekeeper"]),
    (lambda a: P.can_resume_project(a, ACTIVE), []),
    (lambda a: P.can_manage_cycles(a), ["admin"]),
    (lambda a: P.can_manage_users(a), ["admin"]),
    (lambda a: P.can_view_audit(a), ["admin"]),
    (lambda a: P.can_view_results(a, NS(state="open")), ["admin"]),
    (lambda a: P.can_author_self_assessment(a, PLATFORM), ["admin", "op"]),
    (lambda a: P.can_view_reviewer_breakdown(a, NS(state="published")), ["admin"]),
    (lambda a: P.can_view_self_assessment(a, NS(state="open"), PLATFORM, assigned_in_cycle=a is ASSIGNED),
     ["admin", "assigned", "op"]),
    (lambda a: P.can_edit_self_assessment(a, NS(state="closed"), PLATFORM), []),
    (lambda a: P.can_view_results(a, NS(state="published")),
     ["admin", "assigned", "gatekeeper", "op", "other_op", "reviewer"]),
    (lambda a: P.can_view_platform_result(a, NS(state="closed"), PLATFORM), ["admin"]),
    (lambda a: P.can_view_platform_result(a, NS(state="published"), PLATFORM),
     ["admin", "assigned", "gatekeeper", "op", "reviewer"]),
    (lambda a: P.can_export(a, "projects", platform=PLATFORM), ["admin", "assigned", "gatekeeper", "op"]),
    (lambda a: P.can_export(a, "eligibility", cycle=NS(state="closed")), ["admin"]),
])
def test_matrix(check, expected):
    assert who(check) == expected


@pytest.mark.parametrize("state,review_state,reviewer_id,expected", [
    ("open", "draft", 5, True),
    ("open", "not_started", 5, True),
    ("open", "submitted", 5, False),  # locked once submitted
    ("closed", "draft", 5, False),  # nothing after close
    ("draft", "draft", 5, False),
    ("open", "draft", 6, False),  # someone else's assignment
])
def test_can_score(state, review_state, reviewer_id, expected):
    assignment = NS(reviewer_id=reviewer_id, platform_id=10, review_state=review_state)
    assert P.can_score(ASSIGNED, NS(state=state), assignment) is expected


@pytest.mark.parametrize("state", ["draft", "open", "closed", "published"])
def test_blind_review(state):
    """A reviewer reads their own review in every state and nobody else's; admins read all."""
    own, other = NS(reviewer_id=5, platform_id=10), NS(reviewer_id=99, platform_id=10)
    assert P.can_view_review(ASSIGNED, NS(state=state), own) is True
    assert P.can_view_review(ASSIGNED, NS(state=state), other) is False
    assert P.can_view_review(REVIEWER, NS(state=state), other) is False
    assert P.can_view_review(ADMIN, NS(state=state), other) is True


@pytest.mark.parametrize("state,declared,marked,reviewer_sees,admin_sees", [
    ("open", False, False, False, False),  # blind while open
    ("draft", False, False, False, False),
    ("closed", False, False, True, True),
    ("published", False, False, True, True),
    ("closed", True, False, False, True),  # the reviewer declared a conflict: nothing of the others'
    ("published", True, False, False, True),
    ("closed", False, True, False, True),  # the conflict rules marked the assignment
])
def test_other_reviews(state, declared, marked, reviewer_sees, admin_sees):
    own = NS(reviewer_id=5, platform_id=10, conflict_declared=declared, conflicted=marked)
    assert P.can_view_other_reviews(ASSIGNED, NS(state=state), own) is reviewer_sees
    assert P.can_view_other_reviews(ADMIN, NS(state=state), own) is admin_sees
    assert P.can_view_other_reviews(REVIEWER, NS(state=state), NS(reviewer_id=99, platform_id=10,
                                                                   conflict_declared=False, conflicted=False)) is False


@pytest.mark.parametrize("state,declared,marked,expected", [
    ("draft", False, False, True),
    ("open", False, False, True),
    ("closed", False, False, False),  # a past cycle: their own review, nothing more
    ("published", False, False, False),
    ("open", True, False, False),  # a declared conflict removes access at once
    ("draft", False, True, False),  # so does a conflict the rules found
])
def test_assignment_grants_platform_access(state, declared, marked, expected):
    assignment = NS(conflict_declared=declared, conflicted=marked)
    assert P.grants_platform_access(assignment, state) is expected
    assert P.is_conflicted(assignment) is (declared or marked)
