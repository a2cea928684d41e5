"""The Stripe simulator on loopback, and the app on each backend pointed at it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from payymo import migrate
from payymo.sandbox.common import SimClock, SimServer
from payymo.sandbox.stripe import create_app
from payymo.tenants.services import create_tenant
from tests.integration.api.conftest import Api, build_api

START = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)  # the simulator's and FrozenClock's day
DAY = 86_400
SECRET_KEY = "sk_test_51PayymoSecretKeyForTests0001"
RESTRICTED_KEY = "rk_test_51PayymoRestrictedKeyForTests01"


class StripeSim:
    """The running simulator and its `/_sim` control API."""

    def __init__(self, server: SimServer, clock: SimClock) -> None:
        self.url, self.clock = server.url, clock
        self.http = httpx.Client(base_url=server.url)

    def reset(self) -> None:
        self.clock.set(START)
        self.http.post("/_sim/reset").raise_for_status()

    def pay(self, invoice_id: int, amount: str = "10.00", **extra: Any) -> dict[str, Any]:
        body = {"invoice_id": invoice_id, "amount": amount, "currency": "EUR"}
        body |= {"email": f"payer{invoice_id}@example.com", **extra}
        response = self.http.post("/_sim/payments", json=body)
        assert response.status_code == 201, response.text
        return dict(response.json())

    def refund(self, charge_id: str, amount: int) -> None:
        self.http.post(
            "/v1/refunds",
            data={"charge": charge_id, "amount": str(amount)},
            headers={"Authorization": f"Bearer {SECRET_KEY}"},
        ).raise_for_status()

    def advance(self, days: float) -> None:
        self.http.post("/_sim/clock", json={"advance_seconds": days * DAY}).raise_for_status()

    def run_payouts(self) -> list[dict[str, Any]]:
        response = self.http.post("/_sim/payouts/run")
        response.raise_for_status()
        return list(response.json()["payouts"])

    def fault(self, kind: str, path: str, times: int | None = 1, **extra: Any) -> None:
        body = {"kind": kind, "path": path, "method": "GET", "times": times, **extra}
        self.http.post("/_sim/faults", json=body).raise_for_status()

    def state(self) -> dict[str, Any]:
        return dict(self.http.get("/_sim/state").json())


@pytest.fixture(scope="session")
def stripe_server() -> Iterator[tuple[SimServer, SimClock]]:
    clock = SimClock(START)
    app = create_app(seed=7, clock=clock, api_keys=(SECRET_KEY, RESTRICTED_KEY))
    with SimServer(app) as server:
        yield server, clock


@pytest.fixture
def stripe_sim(stripe_server: tuple[SimServer, SimClock]) -> Iterator[StripeSim]:
    """The seeded account, back at the start with no faults, for every test."""
    sim = StripeSim(*stripe_server)
    sim.reset()
    yield sim
    sim.http.close()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """These tests commit through a real app, so they get a SQLite file of their own."""
    url = f"sqlite:///{tmp_path_factory.mktemp('payments-sqlite') / 'payymo.db'}"
    migrate.upgrade(url)
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def api(request: pytest.FixtureRequest, stripe_sim: StripeSim) -> Iterator[Api]:
    """The app on each backend (PostgreSQL as the app login role), talking to the simulator."""
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")
    built = build_api(url, start=START, stripe_api_base=stripe_sim.url)
    yield built
    built.services.db.dispose()


@pytest.fixture
def tenant_id(api: Api) -> Iterator[uuid.UUID]:
    """A fresh tenant, deleted afterwards: the PostgreSQL database is shared by every suite, and
    others (key rotation) walk all tenants' secrets."""
    suffix = uuid.uuid4().hex[:8]
    created = create_tenant(api.services.db, name=f"Hosting {suffix}", slug=f"t-{suffix}")
    yield created.id
    if api.services.db.engine.dialect.name == "postgresql":
        # As the connecting superuser: the application role may not delete tenants.
        admin = sa.create_engine(api.services.db.engine.url, poolclass=sa.pool.NullPool)
        with admin.begin() as connection:
            connection.execute(sa.text("DELETE FROM tenants WHERE id = :id"), {"id": created.id})
        admin.dispose()
