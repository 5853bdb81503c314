"""The scheduler's leader lock: of several scheduler processes only one acts at a time.

- PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) held on a dedicated connection
  for as long as the holder lives; if the process or its connection dies, the server frees the lock.
- SQLite (and any engine without advisory locks): a lease row in ``scheduler_lease``. The holder takes an
  absent or expired lease, or renews its own, with one conditional statement; another process may take
  over once the lease has expired (the holder renews it on every tick, well within the lease time).

``acquire()`` is also the renewal: call it before each tick; it answers whether this process leads now.
"""
from __future__ import annotations

import hashlib
import logging
import os
import socket
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import delete, text, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError

from ..db import is_sqlite, new_session
from ..models import SchedulerLease, utcnow

log = logging.getLogger(__name__)

LOCK_NAME = "scheduler"
DEFAULT_LEASE = timedelta(minutes=15)


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for pg_advisory_lock, derived from the lock's name."""
    return int.from_bytes(hashlib.sha256(f"platform_mgr:{name}".encode()).digest()[:8], "big", signed=True)


def holder_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"[:120]


class AdvisoryLock:
    """pg_try_advisory_lock on a connection of its own, kept open while leading."""

    kind = "advisory"

    def __init__(self, engine: Engine, name: str = LOCK_NAME):
        self.engine = engine
        self.name = name
        self.key = lock_key(name)
        self._conn: Connection | None = None

    @property
    def held(self) -> bool:
        return self._conn is not None

    def _alive(self) -> bool:
        try:
            self._conn.exec_driver_sql("SELECT 1")
            return True
        except DBAPIError:
            log.warning("leader lock connection lost; trying to take the lock again")
            self._drop()
            return False

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.invalidate()  # never hand a connection that may hold the lock back to the pool
                conn.close()
            except DBAPIError:
                pass

    def acquire(self) -> bool:
        if self._conn is not None and self._alive():
            return True
        conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}).scalar())
        except DBAPIError:
            conn.invalidate()
            conn.close()
            raise
        if not got:
            conn.close()
            return False
        self._conn = conn
        return True

    def release(self) -> None:
        if self._conn is None:
            return
        try:
            self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
            conn, self._conn = self._conn, None
            conn.close()
        except DBAPIError:
            self._drop()  # closing the connection frees the lock on the server

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()


class LeaseLock:
    """A lease row renewed by its holder with a conditional update; expired leases may be taken over."""

    kind = "lease"

    def __init__(self, engine: Engine, name: str = LOCK_NAME, *, holder: str | None = None,
                 ttl: timedelta = DEFAULT_LEASE, clock: Callable[[], datetime] = utcnow):
        self.engine = engine
        self.name = name
        self.holder = holder or holder_id()
        self.ttl = ttl
        self.clock = clock
        self.held = False

    def acquire(self) -> bool:
        now = self.clock()
        expires = now + self.ttl
        with new_session(self.engine, write=True) as session:
            result = session.execute(
                update(SchedulerLease)
                .where(SchedulerLease.name == self.name,
                       (SchedulerLease.holder == self.holder) | (SchedulerLease.expires_at <= now))
                .values(holder=self.holder, expires_at=expires)
                .execution_options(synchronize_session=False))
            taken = result.rowcount == 1
            if not taken:
                exists = session.get(SchedulerLease, self.name) is not None
                if not exists:
                    try:
                        with session.begin_nested():
                            session.add(SchedulerLease(name=self.name, holder=self.holder, expires_at=expires))
                        taken = True
                    except IntegrityError:  # another process created it first: it leads
                        taken = False
            session.commit()
        self.held = taken
        return taken

    def release(self) -> None:
        if not self.held:
            return
        with new_session(self.engine, write=True) as session:
            session.execute(delete(SchedulerLease)
                            .where(SchedulerLease.name == self.name, SchedulerLease.holder == self.holder)
                            .execution_options(synchronize_session=False))
            session.commit()
        self.held = False

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()


def leader_lock(engine: Engine, name: str = LOCK_NAME, *, ttl: timedelta = DEFAULT_LEASE):
    """The right lock for the engine: an advisory lock on PostgreSQL, a lease elsewhere."""
    if not is_sqlite(engine) and engine.dialect.name == "postgresql":
        return AdvisoryLock(engine, name)
    return LeaseLock(engine, name, ttl=ttl)
