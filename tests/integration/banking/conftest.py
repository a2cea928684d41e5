"""Banking tests: the GoCardless simulator over loopback HTTP, and a Payymo app on SQLite or
PostgreSQL (as the RLS-bound role) whose clock moves in step with the simulator's."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import func, select

from payymo import migrate
from payymo.audit.services import Actor
from payymo.banking import connections
from payymo.banking.gocardless import GoCardlessClient
from payymo.banking.models import BankAccount, BankConnection, BankTransaction
from payymo.banking.provider import install_provider
from payymo.clock import Clock
from payymo.http import AppServices
from payymo.integrations.retry import RetryPolicy
from payymo.sandbox.common import SimClock, SimServer
from payymo.sandbox.gocardless import create_app
from tests.integration.api.conftest import Api, build_api, new_member

START = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)  # the simulated world's day, 09:00 UTC
SANDBOX = "SANDBOXFINANCE_SFIN0000"
REDIRECT = "https://payymo.test/banking/callback"
SECRET_ID, SECRET_KEY = "sim-secret-id", "sim-secret-key"
FAST_RETRY = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.02)


class RecordingTransport(httpx.HTTPTransport):
    """A real HTTP transport that remembers the path of every request it sent."""

    def __init__(self) -> None:
        super().__init__()
        self.paths: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        return super().handle_request(request)

    def count(self, suffix: str) -> int:
        return sum(path.endswith(suffix) for path in self.paths)


class Sim:
    """Drives the simulator through its `/_sim` control API."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = httpx.Client(base_url=url, timeout=10)

    def reset(self) -> None:
        self.http.post("/_sim/reset").raise_for_status()
        self.http.post("/_sim/clock", json={"set": START.isoformat()}).raise_for_status()

    def advance(self, seconds: float) -> None:
        self.http.post("/_sim/clock", json={"advance_seconds": seconds}).raise_for_status()

    def fault(self, kind: str, path: str, **options: Any) -> None:
        body = {"kind": kind, "path": f"/api/v2/{path}", **options}
        self.http.post("/_sim/faults", json=body).raise_for_status()

    def clear_faults(self) -> None:
        self.http.delete("/_sim/faults").raise_for_status()

    def state(self) -> dict[str, Any]:
        found: dict[str, Any] = self.http.get("/_sim/state").json()
        return found

    def add(self, account_id: str, *transactions: dict[str, Any]) -> list[dict[str, Any]]:
        response = self.http.post(f"/_sim/accounts/{account_id}/transactions", json=transactions)
        response.raise_for_status()
        added: list[dict[str, Any]] = response.json()["transactions"]
        return added

    def book(self, internal_id: str, **overrides: Any) -> None:
        """Book a pending transaction, with whatever the bank changes on the way (`overrides`)."""
        response = self.http.post(f"/_sim/transactions/{internal_id}/book", json=overrides)
        response.raise_for_status()

    def drop(self, internal_id: str) -> None:
        """A pending transaction vanishes from the bank's lists (cancelled)."""
        self.http.post(f"/_sim/transactions/{internal_id}/drop").raise_for_status()

    def reissue_ids(self) -> None:
        self.http.post("/_sim/banks/reissue-ids").raise_for_status()

    def reissue_account_ids(self) -> list[str]:
        """Every account gets a new id from the bank when a consent next links it."""
        response = self.http.post("/_sim/accounts/reissue-ids", json={})
        response.raise_for_status()
        reissued: list[str] = response.json()["accounts"]
        return reissued

    def spend_quota(self, account_id: str) -> None:
        """Use up the account's transactions quota at the bank, as another app on the same
        consent would: Payymo's ledger knows nothing of these calls."""
        tokens = self.http.post(
            "/api/v2/token/new/", json={"secret_id": SECRET_ID, "secret_key": SECRET_KEY}
        ).json()
        headers = {"Authorization": f"Bearer {tokens['access']}"}
        url = f"/api/v2/accounts/{account_id}/transactions/"
        while self.http.get(url, headers=headers).status_code == 200:
            pass

    def force_status(self, requisition_id: str, status: str) -> None:
        response = self.http.post(
            f"/_sim/requisitions/{requisition_id}/status", json={"status": status}
        )
        response.raise_for_status()

    def quota_used(self, account_id: str, scope: str = "transactions") -> int:
        return sum(
            q["count"]
            for q in self.state()["quota"]
            if q["account_id"] == account_id and q["scope"] == scope
        )

    def consent(self, link: str, action: str) -> dict[str, list[str]]:
        """Act on the bank's consent page; the query of the redirect back to Payymo."""
        response = self.http.get(link, params={"action": action}, follow_redirects=False)
        assert response.status_code == 302, response.text
        return parse_qs(urlsplit(response.headers["location"]).query)


@pytest.fixture(scope="session")
def sim_server() -> Iterator[SimServer]:
    with SimServer(create_app(seed=7, clock=SimClock(START))) as running:
        yield running


@pytest.fixture
def sim(sim_server: SimServer) -> Iterator[Sim]:
    """The simulator back in its seeded state, its clock at START."""
    driver = Sim(sim_server.url)
    driver.reset()
    yield driver
    driver.http.close()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """These tests commit through real services, so they get a SQLite file of their own."""
    url = f"sqlite:///{tmp_path_factory.mktemp('banking-sqlite') / 'payymo.db'}"
    migrate.upgrade(url)
    return url


def make_client(
    url: str,
    clock: Clock,
    *,
    timeout: float = 5,
    transport: httpx.BaseTransport | None = None,
    sleeps: list[float] | None = None,
) -> tuple[GoCardlessClient, list[float]]:
    """A client on the simulator at `url` that records retry delays instead of sleeping them."""
    sleeps = [] if sleeps is None else sleeps
    client = GoCardlessClient(
        base_url=f"{url}/api/v2",
        secret_id=SECRET_ID,
        secret_key=SECRET_KEY,
        timeout=timeout,
        clock=clock,
        retry=FAST_RETRY,
        sleep=sleeps.append,
        transport=transport,
    )
    return client, sleeps


@dataclass
class Bank:
    """A tenant on a Payymo app wired to the simulator, with helpers for the consent flow."""

    api: Api
    sim: Sim
    tenant_id: uuid.UUID
    actor: Actor
    transport: RecordingTransport
    retry_sleeps: list[float] = field(default_factory=list)

    @property
    def app(self) -> AppServices:
        return self.api.services

    def advance(self, **delta: float) -> None:
        """Move Payymo's clock and the simulator's together."""
        self.api.clock.advance(**delta)
        self.sim.advance(timedelta(**delta).total_seconds())

    def start(self) -> BankConnection:
        return connections.start_connection(
            self.app,
            tenant_id=self.tenant_id,
            actor=self.actor,
            institution_id=SANDBOX,
            redirect_url=REDIRECT,
        )

    def finish(self, connection: BankConnection, action: str = "approve") -> BankConnection:
        assert connection.link is not None
        query = self.sim.consent(connection.link, action)
        return connections.complete_connection(
            self.app, tenant_id=self.tenant_id, actor=self.actor, reference=query["ref"][0]
        )

    def connect(self) -> BankConnection:
        return self.finish(self.start())

    def accounts(self) -> list[BankAccount]:
        with self.app.db.unit_of_work(self.tenant_id) as session:
            return list(
                session.scalars(
                    select(BankAccount)
                    .where(BankAccount.tenant_id == self.tenant_id)
                    .order_by(BankAccount.currency)
                )
            )

    def account(self, currency: str = "EUR") -> BankAccount:
        return next(a for a in self.accounts() if a.currency == currency)

    def transactions(self, account: BankAccount) -> list[BankTransaction]:
        with self.app.db.unit_of_work(self.tenant_id) as session:
            return list(
                session.scalars(
                    select(BankTransaction)
                    .where(
                        BankTransaction.tenant_id == self.tenant_id,
                        BankTransaction.account_id == account.id,
                    )
                    .order_by(BankTransaction.transaction_date, BankTransaction.remittance)
                )
            )

    def count(self, model: Any) -> int:
        with self.app.db.unit_of_work(self.tenant_id) as session:
            query = select(func.count()).select_from(model).where(model.tenant_id == self.tenant_id)
            return session.scalars(query).one()


def _build(request: pytest.FixtureRequest) -> Api:
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")
    sim: Sim = request.getfixturevalue("sim")
    return build_api(
        url,
        start=START,
        gocardless_base_url=f"{sim.url}/api/v2",
        gocardless_secret_id=SECRET_ID,
        gocardless_secret_key=SECRET_KEY,
        bank_sync_overlap_days=3,
        bank_quota_reserve=1,
    )


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def bank(request: pytest.FixtureRequest, sim: Sim) -> Iterator[Bank]:
    """A fresh tenant on each backend in turn, with a fast-retrying client installed."""
    api = _build(request)
    member = new_member(api)
    transport = RecordingTransport()
    client, sleeps = make_client(sim.url, api.clock, transport=transport)
    install_provider(api.services, client)
    yield Bank(api, sim, member.tenant_id, Actor.user(member.user_id), transport, sleeps)
    client.close()
    api.services.db.dispose()


@pytest.fixture
def eur(bank: Bank) -> BankAccount:
    """The bank connected, and its EUR account."""
    bank.connect()
    return bank.account("EUR")
