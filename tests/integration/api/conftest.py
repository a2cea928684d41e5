"""An API test harness: a real app on SQLite or PostgreSQL, a frozen clock, a memory mailer,
and helpers that create tenants with signed-in users."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from payymo import migrate
from payymo.app import create_app
from payymo.auth.roles import Role
from payymo.auth.services import create_user
from payymo.clock import FrozenClock
from payymo.http import AppServices
from payymo.mail import MemoryMailer
from payymo.settings import Settings
from payymo.tenants.services import create_tenant
from tests.conftest import make_settings

PASSWORD = "correct horse battery staple"


@dataclass
class Api:
    """One app under test and the handles tests need on it."""

    app: Flask
    clock: FrozenClock
    mailer: MemoryMailer

    @property
    def services(self) -> AppServices:
        found: AppServices = self.app.extensions["payymo"]
        return found

    def client(self) -> FlaskClient:
        return self.app.test_client()


@dataclass
class Member:
    """A user of a fresh tenant, able to sign in."""

    api: Api
    tenant_id: uuid.UUID
    slug: str
    user_id: uuid.UUID
    email: str
    role: Role

    def login(self, client: FlaskClient | None = None, **extra: Any) -> str:
        client = client or self.api.client()
        response = client.post(
            "/api/v1/auth/login",
            json={"workspace": self.slug, "email": self.email, "password": PASSWORD, **extra},
        )
        assert response.status_code == 200, response.json
        token: str = response.json["access_token"]  # type: ignore[index]
        return token

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.login()}"}

    def add_user(self, role: Role) -> Member:
        email = f"{role.value}-{uuid.uuid4().hex[:6]}@example.com"
        user = create_user(
            self.api.services.db,
            tenant_id=self.tenant_id,
            email=email,
            password=PASSWORD,
            role=role,
        )
        return Member(self.api, self.tenant_id, self.slug, user.id, email, role)


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """API tests commit through a real app, so they get a SQLite file of their own."""
    url = f"sqlite:///{tmp_path_factory.mktemp('api-sqlite') / 'payymo.db'}"
    migrate.upgrade(url)
    return url


def build_api(url: str, role: str = "", *, start: datetime | None = None, **overrides: Any) -> Api:
    """An app frozen at `start`, by default the moment it is built (the simulators it talks to
    then run on real time; suites whose simulators start at a fixed moment pass it)."""
    clock, mailer = FrozenClock(start or datetime.now(UTC)), MemoryMailer()
    limits = [name for name in Settings.model_fields if name.startswith("rate_limit_")]
    generous = dict.fromkeys(limits, "100000/minute")
    settings = make_settings(database_url=url, database_role=role, **{**generous, **overrides})
    return Api(create_app(settings, clock=clock, mailer=mailer), clock, mailer)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def api(request: pytest.FixtureRequest) -> Iterator[Api]:
    """The app on each backend in turn (PostgreSQL as a login role in payymo_app)."""
    backend = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    built = build_api(request.getfixturevalue(backend))
    yield built
    built.services.db.dispose()


@pytest.fixture
def sqlite_api(sqlite_url: str) -> Iterator[Api]:
    """The app on SQLite only, for behaviour that does not depend on the backend."""
    built = build_api(sqlite_url)
    yield built
    built.services.db.dispose()


def new_member(api: Api, role: Role = Role.OWNER) -> Member:
    suffix = uuid.uuid4().hex[:8]
    tenant = create_tenant(api.services.db, name=f"Hosting {suffix}", slug=f"t-{suffix}")
    email = f"{role.value}-{suffix}@example.com"
    user = create_user(
        api.services.db, tenant_id=tenant.id, email=email, password=PASSWORD, role=role
    )
    return Member(api, tenant.id, tenant.slug, user.id, email, role)


@pytest.fixture
def owner(api: Api) -> Member:
    return new_member(api)


@pytest.fixture(scope="module")
def providers() -> Iterator[Any]:
    """The three provider simulators on loopback, with credentials unique to this run."""
    from tests.integration.api.providers import serve_providers  # noqa: PLC0415 - import cycle

    yield from serve_providers()
