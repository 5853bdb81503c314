"""Test fixtures: an app per test with a clean database, creators, signed-in clients.

The suite runs on SQLite by default and on PostgreSQL when TEST_DATABASE_URL is set
(`make test` does both when it is). The schema is created once per run; each test
starts from empty tables.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import SQLModel

import platform_mgr.models  # noqa: F401
from platform_mgr import create_app
from platform_mgr.config import TestConfig
from platform_mgr.db import build_engine, dispose_engines, is_sqlite, new_session, normalise_url

from .factories import Factory

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
    return f"database: {DATABASE_URL}" + ("" if is_sqlite(DATABASE_URL) else " (a private database per run)")


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


class Auth:
    def __init__(self, client):
        self.client = client

    def login(self, email: str, password: str = "Passw0rd!x", lang: str | None = None, follow: bool = False):
        url = "/login" + (f"?lang={lang}" if lang else "")
        return self.client.post(url, data={"email": email, "password": password}, follow_redirects=follow)

    def logout(self):
        return self.client.post("/logout")


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
