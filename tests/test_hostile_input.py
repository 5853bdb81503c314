"""Hostile input is refused cheaply and in the usual shapes (issue 16, part 3 "bounded input everywhere").

- JSON bodies: a body nested deeper than MAX_JSON_DEPTH or larger than MAX_JSON_KB is refused before it is
  parsed, 400 ``invalid_body`` in the API's error format, on every kind of JSON endpoint (spectree's body
  validation and the API's own "is this JSON" check both read through the one guard, platform_mgr/bounds.py).
- Path ids: a number beyond what an integer column holds (2**31 and more) matches no route, so every route,
  web and API, answers 404 for every method — never 405 because another method's rule shares the path, and
  never a query with an out-of-range integer (on PostgreSQL that is an error).
"""
from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import event

from platform_mgr.bounds import nesting_depth
from platform_mgr.db import get_engine
from platform_mgr.inputs import MAX_INT

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
BEYOND = (2**31, 2**63)


# --- JSON bodies ------------------------------------------------------------------------------------

def _deep(depth: int, opening: str = '{"a":', closing: str = "}") -> str:
    return opening * depth + "1" + closing * depth


@pytest.fixture
def json_endpoints(make):
    """(user, method, url) of JSON endpoints of each kind: a POST, a PATCH, two PUTs, and a POST without a body
    model (only the API's own JSON check reads its body)."""
    platform = make.platform()
    project = make.project(platform)
    admin, reviewer = make.admin(), make.reviewer()
    cycle = make.cycle(state="open", opened_at=datetime(2026, 11, 1, tzinfo=timezone.utc))
    make.assignment(cycle, reviewer, platform)
    return [
        (admin, "POST", "/api/v1/platforms"),
        (admin, "PATCH", f"/api/v1/projects/{project.id}"),
        (admin, "PUT", f"/api/v1/cycles/{cycle.id}/self-assessments/{platform.id}"),
        (reviewer, "PUT", f"/api/v1/cycles/{cycle.id}/reviews/{platform.id}"),
        (admin, "POST", "/api/v1/notifications/read-all"),
    ]


def _send(api, user, method, url, body: str | bytes):
    client = api(user)
    return client.client.open(url, method=method, data=body, content_type="application/json",
                              headers=client._headers())


def _refused(res, message: str, field: str) -> None:
    assert res.status_code == 400, res.get_data(as_text=True)[:300]
    assert res.get_json() == {"error": {"code": "invalid_body", "message": message, "fields": {"body": field}}}


@pytest.mark.parametrize("opening,closing", [('{"a":', "}"), ("[", "]"), ('{"a":[', "]}")])
def test_json_nested_500_deep_is_400_invalid_body_on_every_kind_of_endpoint(api, json_endpoints, opening, closing):
    for user, method, url in json_endpoints:
        _refused(_send(api, user, method, url, _deep(500, opening, closing)),
                 "请求体嵌套过深。", "数组和对象最多嵌套 32 层。")


def test_json_nested_far_too_deep_is_refused_in_english_too(api, json_endpoints):
    user, method, url = json_endpoints[1]
    client = api(user)
    res = client.client.open(url + "?lang=en", method=method, data=_deep(100_000), content_type="application/json",
                             headers=client._headers({"Accept-Language": "en"}))
    _refused(res, "The body is nested too deeply.", "At most 32 levels of arrays and objects.")


def test_json_at_the_depth_limit_is_parsed_and_validated_as_usual(api, json_endpoints, app):
    app.config["MAX_JSON_DEPTH"] = 3
    user, method, url = json_endpoints[1]  # PATCH a project
    res = _send(api, user, method, url, '{"version": 1, "title_zh": "新名称", "extra": {"a": [1]}}')  # 3 levels
    assert (res.status_code, res.get_json()["error"]["fields"]) == (422, {"extra": "未知字段。"})
    res = _send(api, user, method, url, '{"version": 1, "extra": {"a": [[1]]}}')  # 4 levels
    _refused(res, "请求体嵌套过深。", "数组和对象最多嵌套 3 层。")


def test_brackets_inside_strings_do_not_count(api, json_endpoints):
    user, method, url = json_endpoints[1]
    res = _send(api, user, method, url, '{"version": 1, "title_zh": "' + "[{" * 90 + '\\"' + "]}" * 5 + '"}')
    assert res.status_code == 200, res.get_json()
    assert res.get_json()["title_zh"].startswith("[{[{")


def test_a_json_body_over_the_size_limit_is_400_invalid_body_before_it_is_parsed(api, json_endpoints, app,
                                                                                  monkeypatch):
    import json

    parsed = []  # the request bodies the app parsed
    monkeypatch.setattr(app.json, "loads", lambda *a, **kw: parsed.append(1) or json.loads(*a, **kw))

    def send(*args):
        parsed.clear()
        res = _send(*args)
        return res, len(parsed)

    for user, method, url in json_endpoints:
        body = '{"name": "' + "x" * (1024 * 1024) + '"}'  # just over the default 1024 KB
        res, parses = send(api, user, method, url, body)
        assert parses == 0
        _refused(res, "请求体过大。", "最多 1024 KB。")
    app.config["MAX_JSON_KB"] = 2
    user, method, url = json_endpoints[1]
    res, parses = send(api, user, method, url, '{"version": 1, "lead": "' + "王" * 700 + '"}')  # 2.1 KB
    assert parses == 0
    _refused(res, "请求体过大。", "最多 2 KB。")
    res, parses = send(api, user, method, url, '{"version": 1, "lead": "' + "王" * 600 + '"}')  # 1.8 KB
    assert parses == 1
    assert res.status_code == 422 and set(res.get_json()["error"]["fields"]) == {"lead"}  # parsed: too long


@pytest.mark.parametrize("raw,depth", [
    (b"", 0), (b"1", 0), (b'"[[["', 0), (b"[]", 1), (b"{}", 1), (b'{"a": [1, {"b": null}]}', 3),
    (b"[[[]]]", 3), (b"[][][]", 1), (b"[[][[]]]", 3), (b'["]", "\\\\", "\\"["]', 1),
    (b"]]]]][[", 2),  # closing brackets without their opening ones: left to the parser
    (b'["abc', 1), (b'["abc\\', 1), (b"[" * 20 + b'"\\"]]]', 20),  # strings never closed
    (b"[" * 10_000, 33),  # counting stops past the limit
])
def test_nesting_depth(raw, depth):
    assert nesting_depth(raw, 32) == depth


def test_nesting_depth_is_linear_on_quotes_and_backslashes():
    raw = b'"' + b'\\"' * 200_000 + b"\\"  # every quote escaped, never closed: one string to the end
    assert nesting_depth(raw, 32) == 0


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
