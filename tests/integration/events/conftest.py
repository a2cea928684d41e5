"""Outbound webhook and notification tests: the app on SQLite and on PostgreSQL (as the
RLS-bound role), and a webhook receiver on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from payymo import migrate
from tests.integration.api.conftest import Api, build_api
from tests.integration.events.helpers import Receiver


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """These tests commit through a real app, so they get a SQLite file of their own."""
    url = f"sqlite:///{tmp_path_factory.mktemp('events-sqlite') / 'payymo.db'}"
    migrate.upgrade(url)
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def api(request: pytest.FixtureRequest) -> Iterator[Api]:
    if request.param == "sqlite":
        built = build_api(request.getfixturevalue("sqlite_url"))
    else:
        built = build_api(request.getfixturevalue("postgres_url"))
    yield built
    built.services.db.dispose()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as found:
        yield found


@pytest.fixture
def sqlite_api(sqlite_url: str) -> Iterator[Api]:
    """The app on SQLite only, for behaviour that does not depend on the backend."""
    built = build_api(sqlite_url)
    yield built
    built.services.db.dispose()
