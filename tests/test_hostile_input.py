"""Hostile input is refused cheaply and in the usual shapes (issue 16, part 3 "bounded input everywhere").

- Path ids: a number beyond what an integer column holds (2**31 and more) matches no route, so every route,
  web and API, answers 404 for every method — never 405 because another method's rule shares the path, and
  never a query with an out-of-range integer (on PostgreSQL that is an error).
"""
from __future__ import annotations

import re

import pytest
from sqlalchemy import event

from platform_mgr.db import get_engine
from platform_mgr.inputs import MAX_INT

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
BEYOND = (2**31, 2**63)


# --- path ids beyond the columns' range -----------------------------------------------------------------

def _rules_with_ids(app):
    return sorted({rule.rule for rule in app.url_map.iter_rules() if "<int:" in rule.rule})


def _with(rule: str, number: int) -> str:
    return re.sub(r"<int:[a-z_]+>", str(number), rule)


@pytest.fixture
def parameters_sent(app):
    """Every integer parameter the app sends to the database during the test."""
    seen: list[int] = []

    def record(_conn, _cursor, _statement, parameters, _context, _executemany):
        rows = parameters if isinstance(parameters, list) else [parameters]
        for row in rows:
            values = row.values() if isinstance(row, dict) else (row or ())
            seen.extend(v for v in values if isinstance(v, int) and not isinstance(v, bool))

    engine = get_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


@pytest.mark.parametrize("number", BEYOND)
def test_an_id_beyond_the_range_is_404_on_every_route_and_method(app, make, api, client, auth, parameters_sent,
                                                                   number):
    admin = make.admin()
    bearer = api(admin)
    auth.login(admin.email)
    rules = _rules_with_ids(app)
    assert len(rules) > 80  # web and API
    wrong = []
    for rule in rules:
        url = _with(rule, number)
        for method in METHODS:
            if rule.startswith("/api/"):
                res = bearer.client.open(url, method=method, json={}, headers=bearer._headers())
                got = (res.status_code, (res.get_json(silent=True) or {}).get("error", {}).get("code"))
                if got != (404, "not_found"):
                    wrong.append(f"{method} {url}: {got}")
            else:
                res = client.open(url, method=method, data={})
                if res.status_code != 404:
                    wrong.append(f"{method} {url}: {res.status_code}")
    assert wrong == []
    assert [v for v in parameters_sent if abs(v) > MAX_INT] == []


def test_the_largest_id_is_an_ordinary_not_found_and_other_methods_stay_405(make, api):
    bearer = api(make.admin())
    res = bearer.patch(f"/api/v1/projects/{MAX_INT}", json={"version": 1})
    assert (res.status_code, res.get_json()["error"]["code"]) == (404, "not_found")
    res = bearer.put(f"/api/v1/projects/{MAX_INT}", json={})
    assert (res.status_code, res.get_json()["error"]["code"]) == (405, "method_not_allowed")
    res = bearer.put(f"/api/v1/projects/{MAX_INT + 1}", json={})
    assert (res.status_code, res.get_json()["error"]["code"]) == (404, "not_found")


@pytest.mark.parametrize("path", ["/api/v1/projects/00000000002147483648", "/api/v1/projects/٣"])
def test_leading_zeros_do_not_hide_a_large_number_and_only_ascii_digits_are_ids(make, api, path):
    res = api(make.admin()).patch(path, json={"version": 1})
    assert (res.status_code, res.get_json()["error"]["code"]) == (404, "not_found")


def test_the_converter_pattern_matches_exactly_the_numbers_up_to_its_limit():
    from platform_mgr import at_most_pattern

    for limit in (0, 7, 10, 99, 305, 1000, MAX_INT):
        pattern = re.compile(at_most_pattern(limit) + r"\Z")
        probes = [*range(0, 2100), limit - 1, limit, limit + 1, limit * 10, 10 ** len(str(limit))]
        assert [n for n in probes if n >= 0 and bool(pattern.match(str(n))) != (n <= limit)] == [], limit
        assert pattern.match("000" + str(limit)) and not pattern.match("000" + str(limit + 1))
