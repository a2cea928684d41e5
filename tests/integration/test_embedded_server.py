"""`payymo serve` in sandbox mode, as `make run` starts it: gunicorn, the mounted simulators and
the demo tenant, stopped and started again the way a developer does."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

PAYYMO = str(Path(sys.executable).parent / "payymo")
DEMO_LOGIN = {"workspace": "demo", "email": "demo@payymo.test", "password": "payymo-demo-password"}
RESTARTS = 10
PROVIDER_CALL_SECONDS = 20  # the acceptance bound for a sync after a restart


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Embedded:
    """One embedded installation: its database and sandbox state in `home`, served on `port`."""

    home: Path
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        keep = {k: v for k, v in os.environ.items() if not k.startswith(("PAYYMO_", "DATABASE_"))}
        for name in ("SECRET_KEY", "ENCRYPTION_KEYS", "REDIS_URL", "SANDBOX_STATE_PATH"):
            keep.pop(name, None)
        return {
            **keep,
            "PAYYMO_ENV": "development",
            "DATABASE_URL": f"sqlite:///{self.home / 'payymo.db'}",
            "PUBLIC_URL": self.url,
            "LOG_LEVEL": "WARNING",
        }

    def payymo(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 - our own command with fixed arguments
            [PAYYMO, *args],
            env=self.env,
            capture_output=True,
            text=True,
            cwd=self.home,
            timeout=120,
            check=False,
        )

    def start(self) -> Server:
        process = subprocess.Popen(  # noqa: S603 - our own command
            [PAYYMO, "serve", "--port", str(self.port)],
            env=self.env,
            cwd=self.home,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        server = Server(self, process)
        server.wait_for_demo_data()
        return server


@dataclass
class Server:
    embedded: Embedded
    process: subprocess.Popen[str]
    demo_line: str = ""
    most_master_threads: int = 0  # seen while the server started and synced the demo tenant

    def wait_for_demo_data(self, timeout: float = 90) -> None:
        """Until the first worker has connected and synced the demo tenant (it says so)."""
        done = threading.Event()
        watcher = threading.Thread(target=self._count_master_threads, args=(done,), daemon=True)
        watcher.start()
        try:
            self._read_demo_line(time.monotonic() + timeout)
        finally:
            done.set()
            watcher.join()

    def _read_demo_line(self, deadline: float) -> None:
        assert self.process.stderr is not None
        while time.monotonic() < deadline:
            line = self.process.stderr.readline()
            if not line and self.process.poll() is not None:
                raise AssertionError(f"payymo serve exited with {self.process.returncode}")
            if line.startswith("demo data:"):
                self.demo_line = line
                return
        raise AssertionError("no 'demo data:' line from payymo serve")

    def _count_master_threads(self, done: threading.Event) -> None:
        tasks = Path(f"/proc/{self.process.pid}/task")
        while not done.wait(0.02):
            with contextlib.suppress(FileNotFoundError):
                self.most_master_threads = max(self.most_master_threads, len(list(tasks.iterdir())))

    def client(self) -> httpx.Client:
        token = httpx.post(f"{self.embedded.url}/api/v1/auth/login", json=DEMO_LOGIN, timeout=10)
        assert token.status_code == 200, token.text
        return httpx.Client(
            base_url=f"{self.embedded.url}/api/v1",
            headers={"Authorization": f"Bearer {token.json()['access_token']}"},
            timeout=PROVIDER_CALL_SECONDS,
        )

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        self.process.communicate(timeout=30)


@pytest.fixture
def embedded(tmp_path: Path) -> Embedded:
    installation = Embedded(tmp_path, _free_port())
    assert installation.payymo("db", "upgrade").returncode == 0
    assert installation.payymo("demo", "seed").returncode == 0
    return installation


def _pay_an_open_invoice(server: Server, transid: str) -> dict[str, Any]:
    """Pay the first unpaid invoice in the WHMCS simulator, as Payymo posts a payment."""
    invoice: dict[str, Any] = _whmcs(server, "GetInvoices", status="Unpaid")["invoices"]["invoice"][
        0
    ]
    paid = _whmcs(
        server,
        "AddInvoicePayment",
        invoiceid=invoice["id"],
        transid=transid,
        gateway="banktransfer",
    )
    assert paid["result"] == "success"
    return invoice


def _whmcs(server: Server, action: str, **params: Any) -> dict[str, Any]:
    """Call the mounted WHMCS simulator directly, as the hosting company's own WHMCS would see."""
    form = {"identifier": "sim-identifier", "secret": "sim-secret", "responsetype": "json"}
    answer = httpx.post(
        f"{server.embedded.url}/sandbox/whmcs/includes/api.php",
        data={**form, "action": action, **params},
        timeout=10,
    )
    found: dict[str, Any] = answer.json()
    return found


def test_serve_in_sandbox_mode_connects_and_syncs_the_demo_tenant(embedded: Embedded) -> None:
    server = embedded.start()
    try:
        with server.client() as api:
            invoices = api.get("/invoices").json()["data"]
            transactions = api.get("/transactions").json()["data"]
    finally:
        server.stop()
    assert "whmcs: listed" in server.demo_line
    assert "bank Business Account EUR: added" in server.demo_line
    assert "failed" not in server.demo_line
    assert invoices
    assert transactions
    # The master forks workers: a thread of its own could hold a lock (an import lock) at the
    # fork, which the worker inherits held. The demo is connected by the worker instead.
    assert server.most_master_threads == 1


def test_ten_restarts_each_answer_provider_calls_and_keep_what_was_posted(
    embedded: Embedded,
) -> None:
    server = embedded.start()
    try:
        open_invoice = _pay_an_open_invoice(server, "restart-test-1")
        before = _whmcs(server, "GetInvoice", invoiceid=open_invoice["id"])
    finally:
        server.stop()

    for restart in range(RESTARTS):
        server = embedded.start()
        try:
            with server.client() as api:
                whmcs = api.post("/integrations/whmcs/sync")
                stripe = api.post("/integrations/stripe/sync")
                accounts = api.get("/bank-accounts").json()["data"]
                banks = [api.post(f"/integrations/bank/accounts/{a['id']}/sync") for a in accounts]
            invoice = _whmcs(server, "GetInvoice", invoiceid=open_invoice["id"])
        finally:
            server.stop()
        assert whmcs.status_code == 200, (restart, whmcs.text)
        assert stripe.status_code == 200, (restart, stripe.text)
        assert len(accounts) >= 2, restart
        for bank in banks:  # synced, or told when the bank's daily quota allows the next call
            assert bank.status_code == 200, (restart, bank.text)
        assert invoice["status"] == "Paid", restart
        assert invoice["transactions"] == before["transactions"], restart


def test_demo_reset_starts_the_sandbox_and_the_demo_tenant_afresh(embedded: Embedded) -> None:
    server = embedded.start()
    try:
        open_invoice = _pay_an_open_invoice(server, "reset-test")
    finally:
        server.stop()

    reset = embedded.payymo("demo", "reset", "--yes")
    assert reset.returncode == 0, reset.stderr
    assert "sign in as demo@payymo.test" in reset.stdout

    server = embedded.start()
    try:
        invoice = _whmcs(server, "GetInvoice", invoiceid=open_invoice["id"])
        with server.client() as api:
            transactions = api.get("/transactions").json()["data"]
    finally:
        server.stop()
    assert invoice["status"] == "Unpaid"
    assert transactions  # the fresh demo tenant was connected and synced again


def _chunks(total: int) -> Iterator[bytes]:
    """A body sent chunked (no Content-Length), `total` bytes and more."""
    yield b'{"events": [], "pad": "'
    for _ in range(total // 65536 + 1):
        yield b" " * 65536
    yield b'"}'


def _refused(answer: httpx.Response, status: int, slug: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = answer.json()
    assert (body["type"], body["status"]) == (f"https://payymo.dev/problems/{slug}", status)
    return body


def test_what_the_server_refuses_is_problem_json_and_long_urls_pass(embedded: Embedded) -> None:
    server = embedded.start()
    url = embedded.url
    try:
        long_query = httpx.get(f"{url}/healthz?pad={'a' * 8150}", timeout=10)
        too_long = httpx.get(f"{url}/healthz?pad={'a' * 8200}", timeout=10)
        big_header = httpx.get(f"{url}/healthz", headers={"X-Big": "a" * 60_000}, timeout=10)
        many = httpx.get(f"{url}/healthz", headers={f"X-{n}": "a" for n in range(101)}, timeout=10)
        chunked = {
            provider: httpx.post(
                f"{url}/webhooks/{provider}/any-key",
                content=_chunks(1024 * 1024 + 1),
                headers={"Content-Type": "application/json"},
                timeout=30,
            )
            for provider in ("gocardless", "stripe", "whmcs")
        }
        deep = httpx.post(
            f"{url}/api/v1/auth/login",
            content="[" * 1000 + "]" * 1000,
            headers={"Content-Type": "application/json"},
            timeout=10,
        )
        with server.client() as api:
            signed_out = api.post("/auth/logout")
    finally:
        server.stop()
    assert long_query.status_code == 200, long_query.text  # gunicorn's default refused 4 KiB
    assert "8190" in _refused(too_long, 414, "uri-too-long")["detail"]
    _refused(big_header, 431, "request-header-fields-too-large")
    _refused(many, 431, "request-header-fields-too-large")
    for answer in chunked.values():
        _refused(answer, 413, "request-entity-too-large")
    assert "nested too deep" in _refused(deep, 400, "malformed-json")["detail"]
    assert signed_out.status_code == 204
    assert signed_out.content == b""
    assert "content-type" not in signed_out.headers
