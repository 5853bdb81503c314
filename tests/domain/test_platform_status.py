"""A platform's status changes (DESIGN §9): suspend and reactivate, delist from either; delisting is final."""
import pytest

from platform_mgr.domain.platforms import may_change_status


@pytest.mark.parametrize("current,target,allowed", [
    ("active", "suspended", True),
    ("active", "delisted", True),
    ("active", "active", False),
    ("suspended", "active", True),
    ("suspended", "delisted", True),
    ("suspended", "suspended", False),
    ("delisted", "active", False),
    ("delisted", "suspended", False),
    ("delisted", "delisted", False),
])
def test_status_changes(current, target, allowed):
    assert may_change_status(current, target) is allowed
