"""The connection pool pings a connection that sat idle, and spares one in use a moment ago."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from payymo import db as db_module
from payymo.db import Database
from tests.conftest import PG_ADMIN_URL

pytestmark = pytest.mark.postgres


@pytest.fixture
def database(postgres_url: str) -> Iterator[Database]:
    built = Database(postgres_url, pool_size=1)
    yield built
    built.dispose()


def backend_pid(database: Database) -> int:
    with database.unit_of_work() as session:
        pid: int = session.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
    return pid


def terminate(pid: int) -> None:
    admin = sa.create_engine(PG_ADMIN_URL, poolclass=sa.pool.NullPool)
    with admin.connect() as connection:
        connection.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        for _ in range(100):
            gone = connection.execute(
                sa.text("SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
            ).scalar_one()
            if gone:
                break
            time.sleep(0.05)
    admin.dispose()


def count_pings(database: Database) -> list[Any]:
    pings: list[Any] = []
    dialect: Any = database.engine.dialect
    ping = dialect.do_ping

    def counted(dbapi_connection: Any) -> bool:
        pings.append(dbapi_connection)
        return bool(ping(dbapi_connection))

    dialect.do_ping = counted
    return pings


def test_a_connection_dropped_while_idle_is_replaced_before_use(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_module, "PING_AFTER_IDLE_SECONDS", 0.0)
    first = backend_pid(database)
    terminate(first)
    assert backend_pid(database) != first


def test_a_connection_back_a_moment_ago_is_used_without_a_ping(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    pings = count_pings(database)
    backend_pid(database)
    backend_pid(database)
    assert pings == []
    monkeypatch.setattr(db_module, "PING_AFTER_IDLE_SECONDS", 0.0)
    backend_pid(database)
    assert len(pings) == 1
