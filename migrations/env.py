"""Alembic environment: Payymo's models are the target; the URL comes from Payymo's settings.

A caller may hand over an open connection in `config.attributes["connection"]` (tests do, to
migrate inside their own transaction or database).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine, pool

from payymo.models import Base
from payymo.settings import load_settings

config = context.config
target_metadata = Base.metadata


def _configure_and_run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure_and_run(connection)
        return
    url = config.get_main_option("sqlalchemy.url") or load_settings().effective_migration_url
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as conn:
        _configure_and_run(conn)
    engine.dispose()


def run_migrations_offline() -> None:
    url = config.get_main_option("sqlalchemy.url") or load_settings().effective_migration_url
    context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
