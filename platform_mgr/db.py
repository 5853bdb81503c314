"""The database layer: one engine per process, one session per request.

SQLite gets WAL, foreign keys, a busy timeout, and transactions that start with
``BEGIN IMMEDIATE`` when the session is meant to write (plain ``BEGIN`` upgrades
its lock lazily and fails with "database is locked" under concurrent workers).
PostgreSQL is reached through psycopg 3.
"""
from __future__ import annotations

from typing import Any

from flask import current_app, g, request
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

_ENGINES: dict[str, Engine] = {}
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def normalise_url(url: str) -> str:
    """Let ``postgresql://`` and ``postgres://`` mean psycopg 3, the driver we ship."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def is_sqlite(url_or_engine: Any) -> bool:
    url = url_or_engine.url if isinstance(url_or_engine, Engine) else make_url(str(url_or_engine))
    return url.get_backend_name() == "sqlite"


def _install_sqlite_hooks(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # pragma: no cover - exercised on every connect
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=15000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        options = conn.get_execution_options()
        if options.get("pm_autocommit", False):
            return  # every statement commits on its own (test sessions)
        if options.get("pm_write", False):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


def build_engine(url: str, echo: bool = False) -> Engine:
    url = normalise_url(url)
    if is_sqlite(url):
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False, "timeout": 15})
        _install_sqlite_hooks(engine)
    else:
        engine = create_engine(url, echo=echo, pool_pre_ping=True, pool_size=5, max_overflow=10)
    return engine


def get_engine(url: str | None = None) -> Engine:
    """The process-wide engine for a URL (one per process, created lazily)."""
    if url is None:
        url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    url = normalise_url(url)
    engine = _ENGINES.get(url)
    if engine is None:
        engine = build_engine(url, echo=bool(current_app.config.get("SQL_ECHO")) if _has_app() else False)
        _ENGINES[url] = engine
    return engine


def dispose_engines() -> None:
    for engine in _ENGINES.values():
        engine.dispose()
    _ENGINES.clear()


def _has_app() -> bool:
    try:
        current_app._get_current_object()
    except RuntimeError:
        return False
    return True


def new_session(engine: Engine | None = None, *, write: bool = True, autocommit: bool = False) -> Session:
    """A session outside a request (CLI, scheduler, tests). ``write`` starts SQLite with IMMEDIATE.

    ``autocommit`` (tests only) makes every statement its own transaction, so a test's session
    never holds a lock or an old snapshot while the app under test works.
    """
    engine = engine or get_engine()
    if autocommit:
        if is_sqlite(engine):
            bound = engine.execution_options(pm_autocommit=True)
        else:
            bound = engine.execution_options(isolation_level="AUTOCOMMIT")
        return Session(bound, expire_on_commit=False)
    return Session(engine.execution_options(pm_write=write), expire_on_commit=False)


def get_session() -> Session:
    """The request's session, opened on first use and closed at teardown."""
    if "db_session" not in g:
        write = True
        try:
            write = request.method not in SAFE_METHODS
        except RuntimeError:  # no request: app context of a CLI command
            write = True
        g.db_session = new_session(write=write)
    return g.db_session


def close_session(_exc: BaseException | None = None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        try:
            session.rollback()  # anything not committed by the view is dropped
        finally:
            session.close()


def init_app(app) -> None:
    app.teardown_request(close_session)  # one session per request, even when an outer app context lives on
    app.teardown_appcontext(close_session)
