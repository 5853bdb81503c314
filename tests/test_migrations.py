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


def test_institutions_from_free_text_and_back(scratch_url):
    """The institutions migration turns affiliations and host institutions into institutions by normalised
    name (zero-width, traditional, full-width and spacing variants are one), and its downgrade keeps the text."""
    migrate.upgrade(scratch_url, "c99120982119")
    engine = create_engine(scratch_url)
    try:
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO platform (id, code, name_zh, name_en, field, origin, host_institution, status, "
                "status_reason, integrity_flag, integrity_note, created_at, updated_at) VALUES "
                "(1, 'P1', '平台一', 'One', 'bci', 'top_down', '华东脑机智能研究院', 'active', '', false, '', "
                "'2026-11-01 00:00:00', '2026-11-01 00:00:00'),"
                "(2, 'P2', '平台二', 'Two', 'bci', 'top_down', 'Fudan  University', 'active', '', false, '', "
                "'2026-11-01 00:00:00', '2026-11-01 00:00:00')"))
            for i, affiliation in enumerate(["華東腦機智能研究院", "华东脑机智能研究院\u200b", "ＦＵＤＡＮ university",
                                             "", "科技发展研究中心"], start=1):
                conn.execute(text(
                    "INSERT INTO \"user\" (id, email, display_name, role, affiliation, password_hash, active, "
                    "preferred_lang, created_at) VALUES (:id, :email, 'x', 'reviewer', :aff, '', true, 'zh_Hans_CN', "
                    "'2026-11-01 00:00:00')"), {"id": i, "email": f"r{i}@example.com", "aff": affiliation})
        migrate.upgrade(scratch_url)
        with engine.connect() as conn:
            institutions = conn.execute(text("SELECT id, name_zh, name_key FROM institution ORDER BY id")).all()
            assert [(r.name_zh, r.name_key) for r in institutions] == [
                ("华东脑机智能研究院", "华东脑机智能研究院"), ("Fudan University", "fudanuniversity"),
                ("科技发展研究中心", "科技发展研究中心")]
            ids = {r.name_key: r.id for r in institutions}
            hosts = dict(conn.execute(text("SELECT id, institution_id FROM platform")).all())
            users = dict(conn.execute(text("SELECT id, institution_id FROM \"user\"")).all())
        assert hosts == {1: ids["华东脑机智能研究院"], 2: ids["fudanuniversity"]}
        assert users == {1: ids["华东脑机智能研究院"], 2: ids["华东脑机智能研究院"], 3: ids["fudanuniversity"],
                         4: None, 5: ids["科技发展研究中心"]}
        migrate.downgrade(scratch_url, "c99120982119")
        assert "institution" not in _tables(scratch_url)
        with engine.connect() as conn:
            assert "institution_id" not in {c["name"] for c in inspect(conn).get_columns("user")}
            assert conn.execute(text("SELECT affiliation FROM \"user\" WHERE id = 1")).scalar_one() == "華東腦機智能研究院"
    finally:
        engine.dispose()
