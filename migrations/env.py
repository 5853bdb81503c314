"""Alembic environment: the metadata is SQLModel's, the URL is the app's."""
from logging.config import fileConfig

from alembic import context
from sqlmodel import SQLModel

import platform_mgr.models  # noqa: F401  (registers every table)
from platform_mgr.db import build_engine, normalise_url

config = context.config
if config.config_file_name is not None and not config.attributes.get("skip_logging"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = SQLModel.metadata


def _render_item(kind, obj, autogen_context):
    """Enum columns are VARCHARs in the schema (their CHECK constraint keeps the values): a migration must not
    depend on the enum classes of today's code."""
    from platform_mgr.models.base import EnumText

    if kind == "type" and isinstance(obj, EnumText):
        return f"sa.String(length={obj.length})"
    return False


def _url() -> str:
    url = config.attributes.get("url")
    if url:
        return normalise_url(url)
    from platform_mgr import create_app

    return normalise_url(create_app().config["SQLALCHEMY_DATABASE_URI"])


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True, render_as_batch=True,
                      compare_type=True, render_item=_render_item, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = build_engine(_url())
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True,
                      compare_type=True, render_item=_render_item)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
