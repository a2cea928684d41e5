"""Invoicing tests: a WHMCS simulator on loopback, and the app on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from payymo import migrate
from payymo.sandbox.common import SimClock, SimServer
from payymo.sandbox.whmcs import create_app as create_simulator
from payymo.tenants.services import create_tenant
from tests.conftest import PostgresDatabase, fresh_postgres_database
from tests.integration.api.conftest import Api, build_api

API_PATH = "/includes/api.php"
START = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
IDENTIFIER, SECRET = "sim-identifier", "sim-secret"


@dataclass(frozen=True)
class Tenant:
    """A fresh tenant of an app under test (no users: these tests call services directly)."""

    api: Api
    tenant_id: uuid.UUID


def new_tenant(api: Api) -> Tenant:
    suffix = uuid.uuid4().hex[:8]
    tenant = create_tenant(api.services.db, name=f"Hosting {suffix}", slug=f"t-{suffix}")
    return Tenant(api, tenant.id)


class Whmcs:
    """The simulator's control API (`/_sim`), plus direct API calls to arrange a scenario."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = httpx.Client(base_url=url, timeout=5)

    def reset(self) -> None:
        self.http.post("/_sim/reset").raise_for_status()
        self.http.post("/_sim/clock", json={"set": START.isoformat()}).raise_for_status()

    def fault(self, kind: str, *, times: int | None = 1, **options: Any) -> None:
        fault = {"kind": kind, "path": API_PATH, "times": times, **options}
        self.http.post("/_sim/faults", json=fault).raise_for_status()

    def faults_left(self) -> list[dict[str, Any]]:
        faults: list[dict[str, Any]] = self.http.get("/_sim/faults").json()["faults"]
        return faults

    def clear_faults(self) -> None:
        self.http.delete("/_sim/faults").raise_for_status()

    def quirks(self, **on: bool) -> None:
        self.http.post("/_sim/quirks", json=on).raise_for_status()

    def state(self) -> dict[str, Any]:
        state: dict[str, Any] = self.http.get("/_sim/state").json()
        return state

    def invoices(self, status: str | None = None) -> list[dict[str, Any]]:
        rows = self.state()["invoices"]
        return [i for i in rows if status is None or i["status"] == status]

    def set_status(self, invoice_id: int, status: str) -> None:
        response = self.http.post(f"/_sim/invoices/{invoice_id}/status", json={"status": status})
        response.raise_for_status()

    def add_invoice(self, **fields: Any) -> int:
        response = self.http.post("/_sim/invoices", json={"userid": 1, "total": "10.00", **fields})
        response.raise_for_status()
        invoice_id: int = response.json()["invoiceid"]
        return invoice_id

    def pay(self, invoice_id: int, amount: str, transid: str = "PART-1") -> None:
        form = {"identifier": IDENTIFIER, "secret": SECRET, "responsetype": "json"}
        form |= {"action": "AddInvoicePayment", "invoiceid": str(invoice_id), "amount": amount}
        form |= {"transid": transid, "gateway": "banktransfer", "noemail": "1"}
        body = self.http.post(API_PATH, data=form).json()
        assert body == {"result": "success"}, body


@pytest.fixture(scope="session")
def whmcs_server() -> Iterator[SimServer]:
    with SimServer(create_simulator(seed=7, clock=SimClock(START))) as server:
        yield server


@pytest.fixture
def whmcs(whmcs_server: SimServer) -> Iterator[Whmcs]:
    """The shared simulator, back to its seeded world (no faults, no quirks) for every test."""
    sim = Whmcs(whmcs_server.url)
    sim.reset()
    yield sim
    sim.http.close()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """These tests commit through a real app, so they get a SQLite file of their own."""
    url = f"sqlite:///{tmp_path_factory.mktemp('invoicing-sqlite') / 'payymo.db'}"
    migrate.upgrade(url)
    return url


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[PostgresDatabase]:
    """A PostgreSQL database of their own as well.

    The connections committed here hold secrets under the development key; in the shared
    database, suites that walk every tenant's secrets (key rotation) would trip over them.
    """
    with fresh_postgres_database("payymo_test_invoicing") as database:
        yield database


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def api(request: pytest.FixtureRequest) -> Iterator[Api]:
    """The app on each backend in turn (PostgreSQL as the RLS-bound application role)."""
    if request.param == "sqlite":
        built = build_api(request.getfixturevalue("sqlite_url"), start=START)
    else:
        built = build_api(request.getfixturevalue("postgres_url"), start=START)
    yield built
    built.services.db.dispose()


@pytest.fixture
def sqlite_api(sqlite_url: str) -> Iterator[Api]:
    """The app on SQLite only, for behaviour that does not depend on the backend."""
    built = build_api(sqlite_url, start=START)
    yield built
    built.services.db.dispose()
