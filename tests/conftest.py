"""Test fixtures: an app per test with a clean database, creators, signed-in clients.

The suite runs on SQLite by default and on PostgreSQL when TEST_DATABASE_URL is set
(`make test` does both when it is). The schema is created once per run; each test
starts from empty tables.

**Time.** No test depends on the wall clock. Every test starts at one fixed instant, ``FROZEN_AT``
(Monday 2026-11-16 10:00 in Shanghai), and time then ticks on from it (time-machine, the autouse
``frozen_clock`` fixture); the literal dates in the factories and tests are written to be consistent
with that instant (the factory cycle opens 2026-11-01 and closes 2026-12-01, so it is open "now").
A test about "now" (overdue, reminders, opening or closing on time) moves the clock to the instant it
needs: ``frozen_clock.move_to(...)`` or a nested ``time_machine.travel(...)``. The app reads the clock only
through ``platform_mgr.clock``, so what the tests set is what the app sees. A process a test starts (the
scheduler process, Chromium) runs on the machine's real clock, started with ``child_env()`` (without
libfaketime, under which their timed waits hang); those tests depend on no date. `.ci/run` proves all
this by running the SQLite suite again under Debian's ``faketime`` 400 days ahead and 400 days back
(tests/README.md).
"""
from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import time_machine
from flask import Flask, request_finished
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlmodel import SQLModel

import platform_mgr.models  # noqa: F401
from platform_mgr import create_app
from platform_mgr.config import TestConfig
from platform_mgr.db import build_engine, dispose_engines, is_sqlite, new_session, normalise_url

from .factories import FROZEN_AT, Factory

_TMP = Path(tempfile.mkdtemp(prefix="pm-tests-"))


def _database_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return normalise_url(url)
    return "sqlite:///" + str(_TMP / "test.sqlite3")


DATABASE_URL = _database_url()


def _private_pg_database(url: str):
    """Each PostgreSQL run gets a database of its own (named after the process), dropped at the end,
    so concurrent runs on one server never share tables."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"{base.database}_run{os.getpid()}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return base.set(database=name).render_as_string(hide_password=False), drop


def pytest_report_header(config):
    return (f"database: {DATABASE_URL}" + ("" if is_sqlite(DATABASE_URL) else " (a private database per run)")
            + f"; every test starts at {FROZEN_AT.isoformat()} (frozen_clock)")


@pytest.fixture(autouse=True)
def frozen_clock():
    """Every test starts at FROZEN_AT and time ticks on from there; ``frozen_clock.move_to(instant)`` moves it."""
    traveller = time_machine.travel(FROZEN_AT, tick=True)
    coordinates = traveller.start()
    try:
        yield coordinates
    finally:
        traveller.stop()


# --- streamed responses: every one a test opens is finished by the end of the test ------------------------
#
# A streamed response (a CSV export under ``stream_with_context``, a ``send_file`` download, a static file, any
# generator body) holds its request open until it is read to the end or closed: a download its file, a CSV its
# request context (pushed again in the test's thread) and, once it has started on the rows, a database transaction,
# for which the next test's TRUNCATE on PostgreSQL would wait forever. So the test client tracks each streamed
# answer it receives, and a test that leaves one unfinished fails at teardown, naming the request
# (``_no_stream_left_open``). Read the body (``get_data()``, ``.text``, ``.json``), or close it:
# ``response.close()`` or ``with client.get(url) as response:``.

_opening = threading.local()  # set while the test client runs a request in this thread (not the live server's)
_streams: list[_Stream] = []  # the streamed responses of the running test


class _Stream:
    """Wraps a streamed body: finished once iterated to the end (then closed at once, as a WSGI server would)
    or closed."""

    def __init__(self, body, where: str):
        self.body, self.where, self.finished = body, where, False

    def __iter__(self):
        yield from self.body
        self.close()

    def close(self) -> None:
        self.finished = True
        close = getattr(self.body, "close", None)
        if close is not None:
            close()


def _track_streamed_response(sender, response, **_kw):
    if getattr(_opening, "where", None) is None or not response.is_streamed:
        return
    stream = _Stream(response.response, _opening.where)
    response.response = stream  # direct_passthrough (send_file) hands this very object to the client
    _streams.append(stream)


request_finished.connect(_track_streamed_response)


def finish_streams() -> None:
    """Fail unless every streamed response of the test is finished; close those left open first, so that the
    failure does not hang the next test."""
    left = [s for s in _streams if not s.finished]
    for stream in left:
        stream.close()
    _streams.clear()
    if left:
        pytest.fail("streamed response(s) left open: " + ", ".join(s.where for s in left)
                    + " (read the body to the end, or close it: response.close() or `with client.get(...) as r:`)")


@pytest.fixture(autouse=True)
def _no_stream_left_open():
    _streams.clear()
    yield
    finish_streams()


class Client(FlaskClient):
    """The Flask test client, plus ``expect=STATUS``: the request fails the test unless it answers so.
    A test that relies on a request having worked says which status it needs (tests/test_harness.py
    refuses a request whose answer is thrown away without one). Streamed answers are tracked (above)."""

    def open(self, *args, expect: int | None = None, **kwargs):
        method = kwargs.get("method", "GET")
        target = args[0] if args else kwargs.get("path", "")
        outer = getattr(_opening, "where", None)
        _opening.where = outer or f"{method} {target}"
        seen = len(_streams)
        try:
            response = super().open(*args, **kwargs)
        finally:
            _opening.where = outer
        if expect is not None and response.status_code != expect:
            streamed = len(_streams) > seen
            body = "(streamed)" if streamed else response.get_data(as_text=True)[:800]
            response.close()
            raise AssertionError(f"{method} {target}: expected {expect}, got {response.status_code}: {body}")
        return response


Flask.test_client_class = Client  # every app a test builds, the fixture's or its own


@pytest.fixture(scope="session")
def database_url():
    url, drop = DATABASE_URL, None
    if not is_sqlite(url):
        url, drop = _private_pg_database(url)
    engine = build_engine(url)
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    yield url
    dispose_engines()
    if drop is not None:
        drop()


def _clean(url: str) -> None:
    """Empty every table. No streamed response still holds a transaction here, so on PostgreSQL the TRUNCATE never
    waits: a finished CSV stream ends its session (platform_mgr/web/exports/download.py), one an earlier test left
    open failed that test and was closed at its teardown, and one of this test (a test that cleans between its own
    requests, as the authorization matrix does) fails it now, before the TRUNCATE."""
    from platform_mgr.db import get_engine

    finish_streams()
    engine = get_engine(url)
    tables = [t.name for t in reversed(SQLModel.metadata.sorted_tables)]
    with engine.connect().execution_options(pm_write=True) as conn:
        with conn.begin():
            if is_sqlite(engine):
                for name in tables:
                    conn.execute(text(f'DELETE FROM "{name}"'))
            else:
                quoted = ", ".join(f'"{n}"' for n in tables)
                conn.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))


@pytest.fixture
def app(database_url, tmp_path):
    class Cfg(TestConfig):
        SQLALCHEMY_DATABASE_URI = database_url
        INSTANCE_PATH = str(tmp_path)
        UPLOAD_DIR = str(tmp_path / "uploads")

    application = create_app(Cfg)
    application.instance_path = str(tmp_path)
    with application.app_context():
        _clean(database_url)
    yield application


@pytest.fixture
def db(app):
    """A write session inside an app context, for arranging data and checking results."""
    from platform_mgr.db import get_engine

    session = new_session(get_engine(app.config["SQLALCHEMY_DATABASE_URI"]), autocommit=True)
    try:
        yield session
    finally:
        session.rollback()
        session.close()


@pytest.fixture
def make(db):
    """Creators with sane defaults: make.platform(), make.user(), make.project(), make.milestone(), …"""
    return Factory(db)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


SIGNED_IN = object()  # Auth.login's default: the sign-in must succeed


class Auth:
    def __init__(self, client):
        self.client = client

    def login(self, email: str, password: str = "Passw0rd!x", lang: str | None = None, follow: bool = False,
              expect: int | None | object = SIGNED_IN):
        """Sign in; by default the sign-in must succeed (302, or 200 when following the redirect). A test of a
        refused sign-in passes the status it expects (or ``expect=None`` to check the answer itself)."""
        url = "/login" + (f"?lang={lang}" if lang else "")
        if expect is SIGNED_IN:
            expect = 200 if follow else 302
        response = self.client.post(url, data={"email": email, "password": password}, follow_redirects=follow,
                                    expect=expect)
        # the client checked the status; a sign-in that worked does not end on the sign-in page
        if expect == 302:
            assert urlsplit(response.headers["Location"]).path != "/login", f"sign-in of {email} was refused"
        elif expect == 200 and follow:
            assert response.request.path != "/login", f"sign-in of {email} was refused"
        return response

    def logout(self, expect: int | None = 302):
        return self.client.post("/logout", expect=expect)


@pytest.fixture
def auth(client):
    return Auth(client)


class Api:
    """A test client that speaks JSON with a bearer token."""

    def __init__(self, client, token: str | None):
        self.client = client
        self.token = token

    def _headers(self, extra=None):
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        headers.update(extra or {})
        return headers

    def get(self, url, **kw):
        return self.client.get(url, headers=self._headers(kw.pop("headers", None)), **kw)

    def post(self, url, json=None, **kw):
        return self.client.post(url, json=json, headers=self._headers(kw.pop("headers", None)), **kw)

    def put(self, url, json=None, **kw):
        return self.client.put(url, json=json, headers=self._headers(kw.pop("headers", None)), **kw)

    def patch(self, url, json=None, **kw):
        return self.client.patch(url, json=json, headers=self._headers(kw.pop("headers", None)), **kw)

    def delete(self, url, **kw):
        return self.client.delete(url, headers=self._headers(kw.pop("headers", None)), **kw)


@pytest.fixture
def api(client, make, db):
    """api(user) → a JSON client authenticated with a fresh token of that user."""

    def build(user=None):
        if user is None:
            return Api(client, None)
        token = make.token(user)
        return Api(client, token)

    return build


# --- directory servers (tests/directory_servers.py): started once per run, on first use -------------------

@pytest.fixture(scope="session")
def ldap_server():
    """A real OpenLDAP (Debian's slapd) on 127.0.0.1 with the people of ``directory_servers.LDAP_PEOPLE``."""
    from .directory_servers import start_ldap

    yield from start_ldap()


@pytest.fixture(scope="session")
def oidc_provider():
    """A real OpenID provider (npm oidc-provider) on 127.0.0.1 with the people of tests/oidc/accounts.json."""
    from .directory_servers import start_oidc

    yield from start_oidc()
