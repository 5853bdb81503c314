"""Migrations: upgrade from empty, models agree (alembic check), downgrade to base and back."""
import uuid

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from platform_mgr import migrate
from platform_mgr.db import is_sqlite


@pytest.fixture
def scratch_url(database_url, tmp_path):
    """A database of its own: a SQLite file, or a throw-away PostgreSQL database."""
    if is_sqlite(database_url):
        yield "sqlite:///" + str(tmp_path / "migrations.sqlite3")
        return
    base = make_url(database_url)
    name = f"pm_mig_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _tables(url):
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_check_downgrade_upgrade(scratch_url):
    migrate.upgrade(scratch_url)
    assert _tables(scratch_url) == set(SQLModel.metadata.tables)
    migrate.check(scratch_url)  # raises when models and migrations differ
    migrate.downgrade(scratch_url, "base")
    assert _tables(scratch_url) == set()
    migrate.upgrade(scratch_url)
    assert _tables(scratch_url) == set(SQLModel.metadata.tables)


def test_flask_db_commands(tmp_path, scratch_url):
    from platform_mgr import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": scratch_url, "SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path)})
    runner = app.test_cli_runner()
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "platform" in _tables(scratch_url)
    result = runner.invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["db", "downgrade", "base"])
    assert result.exit_code == 0, result.output
    assert _tables(scratch_url) == set()
