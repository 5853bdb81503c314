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
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import time_machine
from flask import Flask
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


class Client(FlaskClient):
    """The Flask test client, plus ``expect=STATUS``: the request fails the test unless it answers so.
    A test that relies on a request having worked says which status it needs (tests/test_harness.py
    refuses a request whose answer is thrown away without one)."""

    def open(self, *args, expect: int | None = None, **kwargs):
        response = super().open(*args, **kwargs)
        if expect is not None and response.status_code != expect:
            method = kwargs.get("method", "GET")
            target = args[0] if args else kwargs.get("path", "")
            body = response.get_data(as_text=True)[:800] if not response.is_streamed else "(streamed)"
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
    import gc

    from platform_mgr.db import get_engine

    engine = get_engine(url)
    if not is_sqlite(engine):
        # A streamed response an earlier test never read to the end keeps its request (and its database
        # transaction) alive until it is collected: collect it now, so its transaction ends. (SQLite's WAL
        # lets the cleanup write past an open reader, so it is spared the cost.)
        gc.collect()
    tables = [t.name for t in reversed(SQLModel.metadata.sorted_tables)]
    with engine.connect().execution_options(pm_write=True) as conn:
        with conn.begin():
            if is_sqlite(engine):
                for name in tables:
                    conn.execute(text(f'DELETE FROM "{name}"'))
            else:
                # anything of an earlier test still idle inside a transaction (an abandoned stream in a
                # server thread) would block TRUNCATE forever: end those sessions first
                conn.execute(text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'"))
                conn.execute(text("SET LOCAL lock_timeout = '30s'"))
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
