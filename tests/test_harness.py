"""The harness itself: the frozen clock, no request whose outcome a test throws away unchecked, no streamed
response left open."""
from __future__ import annotations

import ast
import re
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from platform_mgr import clock

from . import conftest
from .factories import FROZEN_AT

TESTS = Path(__file__).resolve().parent
REQUEST_VERBS = {"get", "post", "put", "patch", "delete", "open", "login", "logout"}


def test_every_test_starts_at_the_frozen_instant():
    assert abs(clock.now() - FROZEN_AT) < timedelta(seconds=60)
    assert clock.today() == date(2026, 11, 16)
    assert datetime.now(timezone.utc) - FROZEN_AT < timedelta(seconds=60)


def test_the_clock_can_be_moved_for_a_test_about_now(frozen_clock):
    frozen_clock.move_to(datetime(2031, 2, 28, 17, 30, tzinfo=timezone.utc))
    assert clock.today() == date(2031, 3, 1)  # already the next day in Shanghai


def test_a_request_that_answers_otherwise_than_expected_fails_the_test(client):
    with pytest.raises(AssertionError, match=r"GET /healthz: expected 404, got 200"):
        client.get("/healthz", expect=404)
    assert client.get("/healthz", expect=200).status_code == 200


def _export(api, make):
    platform = make.platform()
    make.project(platform)
    return api(make.admin()), f"/api/v1/exports/projects.csv?platform={platform.id}"


def test_a_streamed_response_left_open_fails_the_test_and_is_closed(api, make):
    """An unread CSV stream keeps its request, its session and its transaction open (on PostgreSQL the next
    test's TRUNCATE would wait for it forever): the test that leaves one fails at teardown instead, naming it."""
    client, url = _export(api, make)
    response = client.get(url, expect=200)
    stream = conftest._streams[-1]
    assert not stream.finished
    with pytest.raises(pytest.fail.Exception, match=re.escape(f"streamed response(s) left open: GET {url} ")):
        conftest.finish_streams()
    assert stream.finished and conftest._streams == []  # released before failing
    response.close()


@pytest.mark.parametrize("finish", ["read", "close", "with"])
def test_a_streamed_response_read_to_the_end_or_closed_is_finished(api, make, finish):
    client, url = _export(api, make)
    if finish == "with":
        with client.get(url, expect=200) as response:
            assert response.headers["Content-Type"].startswith("text/csv")
    else:
        response = client.get(url, expect=200)
        if finish == "read":
            assert response.data.startswith(b"\xef\xbb\xbf")  # the BOM, then every row
        else:
            response.close()
    assert [s.finished for s in conftest._streams] == [True]
    conftest.finish_streams()


def test_answers_that_are_not_streamed_are_not_tracked(api, make, client):
    api(make.admin()).get("/api/v1/me", expect=200)
    client.get("/login", expect=200)
    assert conftest._streams == []


def _discarded_requests(path: Path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            func = node.value.func
            receiver = ast.unparse(func.value) if isinstance(func, ast.Attribute) else ""
            if isinstance(func, ast.Attribute) and func.attr in REQUEST_VERBS and receiver not in ("db", "session"):
                if not any(k.arg == "expect" for k in node.value.keywords) and func.attr not in ("login", "logout"):
                    yield node.lineno, ast.unparse(node)[:100]


def test_no_test_throws_away_the_answer_of_a_request_without_checking_its_status():
    """A request whose answer is not looked at must say which status it needs (``expect=``): the test that
    posted /open, ignored a refusal and tested something else (issue 12) cannot be written again."""
    offenders = [f"{p.relative_to(TESTS)}:{line}: {code}" for p in sorted(TESTS.rglob("*.py"))
                 for line, code in _discarded_requests(p)]
    assert offenders == []


WALL_CLOCK = re.compile(r"date\.today\(\)|datetime\.now\(|datetime\.utcnow\(|time\.time\(\)")


def _wall_clock_reads(root: Path, allowed: set[Path]):
    for path in sorted(root.rglob("*.py")):
        if path in allowed:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if WALL_CLOCK.search(line):
                yield f"{path.relative_to(root.parent)}:{number}: {line.strip()}"


def test_the_app_reads_the_wall_clock_only_in_its_clock_module():
    package = Path(clock.__file__).resolve().parent
    assert list(_wall_clock_reads(package, {package / "clock.py"})) == []


def test_the_tests_and_the_benchmark_read_the_clock_through_the_app_clock():
    """So that the frozen instant (and `scheduler tick --at`) is what every test and the benchmark see."""
    root = TESTS.parent
    found = list(_wall_clock_reads(TESTS, {Path(__file__).resolve()})) + list(_wall_clock_reads(root / "bench", set()))
    assert found == []
