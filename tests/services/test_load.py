"""Expertise and load caps in the balanced assignment (DESIGN §10, issue 15 item 4): the pure suggestion
(table and property tests) and the manual assignment's cap."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import select

from platform_mgr.enums import PlatformField
from platform_mgr.errors import Conflict
from platform_mgr.models import Assignment
from platform_mgr.services import assignments
from platform_mgr.services.assignments import FIELD_MATCH, LEAST_LOADED, host_conflict, suggest_balanced

SETTINGS = settings(max_examples=60, deadline=None, database=None)
FIELDS = PlatformField.values()


def test_a_reviewer_of_the_platforms_field_is_preferred_over_a_less_loaded_one():
    platforms = [(1, "甲院", "bci"), (2, "乙院", "bci")]
    reviewers = [(10, "丙院", (), None), (11, "丁院", ("bci",), None)]
    s = suggest_balanced(platforms, reviewers, existing=[(11, 2)], min_per_platform=1)
    assert s.pairs == [(11, 1)]  # 11 already carries one, but works in the field
    assert s.reasons[(11, 1)].code == FIELD_MATCH and s.reasons[(11, 1)].load == 2


def test_without_a_field_match_the_least_loaded_eligible_reviewer_is_picked_and_says_so():
    s = suggest_balanced([(1, "甲院", "silicon_photonics")], [(10, "丙院", ("bci",)), (11, "丁院", ())], [], 1)
    assert s.pairs == [(10, 1)] and s.reasons[(10, 1)].code == LEAST_LOADED
    assert "least loaded" in str(s.why(10, 1))


def test_a_cap_is_never_exceeded_and_the_platform_is_reported_short():
    platforms = [(1, "甲院", "bci"), (2, "乙院", "bci"), (3, "丙院", "bci")]
    reviewers = [(10, "丁院", ("bci",), 1), (11, "戊院", ("bci",), 2)]
    s = suggest_balanced(platforms, reviewers, existing=[(11, 3)], min_per_platform=1)
    assert s.pairs == [(10, 1), (11, 2)] and s.loads == {10: 1, 11: 2} and s.shortfall == {}
    capped = suggest_balanced(platforms, [(10, "丁院", ("bci",), 1)], [], 2)
    assert capped.pairs == [(10, 1)] and capped.shortfall == {1: 1, 2: 2, 3: 2}
    assert capped.reasons[(10, 1)].cap == 1 and "Cap: 1 per cycle" in str(capped.why(10, 1))


def test_a_specialist_is_kept_for_their_field():
    platforms = [(1, "甲院", "bci"), (2, "乙院", "silicon_photonics")]
    reviewers = [(10, "丙院", ("silicon_photonics",), 1), (11, "丁院", (), None)]
    s = suggest_balanced(platforms, reviewers, [], 1)
    assert sorted(s.pairs) == [(10, 2), (11, 1)]
    assert s.reasons[(10, 2)].code == FIELD_MATCH and s.reasons[(11, 1)].code == LEAST_LOADED


def test_existing_assignments_above_a_cap_get_nothing_more():
    s = suggest_balanced([(1, "甲院", "bci"), (2, "乙院", "bci")], [(10, "丙院", ("bci",), 1)],
                         existing=[(10, 1)], min_per_platform=1)
    assert s.pairs == [] and s.shortfall == {2: 1} and s.loads == {10: 1}


def test_a_forbidden_pair_is_never_proposed_even_for_a_field_match():
    s = suggest_balanced([(1, "甲院", "bci")], [(10, "丙院", ("bci",)), (11, "丁院", ())], [], 1,
                         forbidden=[(10, 1)])
    assert s.pairs == [(11, 1)] and s.reasons[(11, 1)].code == LEAST_LOADED


def test_the_old_two_column_rows_still_work_as_before():
    s = suggest_balanced([(1, "甲院"), (2, "乙院")], [(10, "甲院"), (11, "乙院"), (12, "丙院")], [], 1)
    assert s.pairs == [(11, 1), (10, 2)] and all(p.code == LEAST_LOADED for p in s.reasons.values())


_platforms = st.lists(st.tuples(st.sampled_from(["甲院", "乙院", "丙院"]), st.sampled_from(FIELDS)),
                      min_size=1, max_size=6)
_reviewers = st.lists(st.tuples(st.sampled_from(["甲院", "乙院", "丙院", "丁院", ""]),
                                st.frozensets(st.sampled_from(FIELDS), max_size=3),
                                st.one_of(st.none(), st.integers(1, 4))), min_size=0, max_size=8)


@SETTINGS
@given(platforms=_platforms, reviewers=_reviewers, need=st.integers(1, 4), data=st.data())
def test_property_caps_conflicts_need_and_field_preference(platforms, reviewers, need, data):
    ps = [(i + 1, host, f) for i, (host, f) in enumerate(platforms)]
    rs = [(100 + i, aff, fields, cap) for i, (aff, fields, cap) in enumerate(reviewers)]
    pairs_all = [(r[0], p[0]) for r in rs for p in ps]
    existing = data.draw(st.lists(st.sampled_from(pairs_all), unique=True, max_size=4)) if pairs_all else []
    forbidden = set(data.draw(st.lists(st.sampled_from(pairs_all), unique=True, max_size=6))) if pairs_all else set()
    s = suggest_balanced(ps, rs, existing, need, forbidden=forbidden)
    assert s == suggest_balanced(ps, rs, existing, need, forbidden=forbidden)  # deterministic
    host = {p[0]: p[1] for p in ps}
    field = {p[0]: p[2] for p in ps}
    by_id = {r[0]: r for r in rs}
    load = {r[0]: sum(1 for e in existing if e[0] == r[0]) for r in rs}
    for rid, pid in s.pairs:
        assert (rid, pid) not in forbidden and (rid, pid) not in existing
        assert not host_conflict(by_id[rid][1], host[pid])
        load[rid] += 1
    assert len(set(s.pairs)) == len(s.pairs)
    for rid, (_r, _aff, _fields, cap) in by_id.items():
        before = sum(1 for e in existing if e[0] == rid)
        assert cap is None or load[rid] <= max(cap, before)  # a cap is never exceeded by a proposal
        assert s.loads[rid] == load[rid]

    def blocked(rid: int, pid: int) -> bool:  # not eligible for the platform at the end
        cap = by_id[rid][3]
        return ((rid, pid) in forbidden or (rid, pid) in existing or (rid, pid) in s.pairs
                or host_conflict(by_id[rid][1], host[pid]) or (cap is not None and load[rid] >= cap))

    for pid in host:
        have = sum(1 for e in existing if e[1] == pid)
        new = sum(1 for _r, p in s.pairs if p == pid)
        assert new <= max(0, need - have)  # never over-assigned
        assert s.shortfall.get(pid, 0) == max(0, need - have) - new
        if s.shortfall.get(pid):  # short: nobody eligible was left below their cap
            assert all(blocked(rid, pid) for rid in by_id)
    for (rid, pid), pick in s.reasons.items():
        assert (pick.code == FIELD_MATCH) == (field[pid] in by_id[rid][2])
        if pick.code == LEAST_LOADED:  # no eligible reviewer of the field was passed over
            assert all(blocked(other, pid) for other in by_id if field[pid] in by_id[other][2])


# --- the service -----------------------------------------------------------------------------------------

def test_the_suggestion_reads_fields_expertise_and_caps_from_the_rows(db, make):
    cycle = make.cycle()
    p1 = make.platform(field="bci")
    p2 = make.platform(field="silicon_photonics")
    expert = make.reviewer(expertise=["silicon_photonics"], max_load=1)
    other = make.reviewer()
    s = assignments.balanced_suggestion(db, cycle, 1)
    assert sorted(s.pairs) == sorted([(expert.id, p2.id), (other.id, p1.id)])
    assert s.reasons[(expert.id, p2.id)].code == FIELD_MATCH and s.reasons[(other.id, p1.id)].code == LEAST_LOADED
    assert s.shortfall == {}
    s2 = assignments.balanced_suggestion(db, cycle, 2)
    assert s2.loads == {expert.id: 1, other.id: 2} and sum(s2.shortfall.values()) == 1


def test_applying_audits_the_reason(db, make):
    cycle = make.cycle()
    make.platform(field="bci")
    make.reviewer(expertise=["bci"])
    admin = make.admin()
    assignments.apply_balanced(db, admin, cycle, 1)
    from platform_mgr.models import AuditEvent

    event = db.exec(select(AuditEvent).where(AuditEvent.entity_type == "assignment")).one()
    assert event.after["via"] == "balanced" and event.after["reason"] == FIELD_MATCH


def test_a_manual_assignment_beyond_the_cap_is_refused_naming_it(db, make):
    cycle = make.cycle()
    p1, p2 = make.platform(), make.platform()
    reviewer = make.reviewer(max_load=1)
    admin = make.admin()
    assignments.assign_reviewer(db, admin, cycle, reviewer.id, p1.id)
    with pytest.raises(Conflict) as refused:
        assignments.assign_reviewer(db, admin, cycle, reviewer.id, p2.id)
    assert refused.value.code == "load_cap_reached" and "reviewer_id" in refused.value.fields
    assert "cap is 1" in str(refused.value.message)
    assert len(db.exec(select(Assignment)).all()) == 1
    other_cycle = make.cycle()
    assignments.assign_reviewer(db, admin, other_cycle, reviewer.id, p2.id)  # the cap is per cycle
