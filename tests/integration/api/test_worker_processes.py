"""Real Celery processes on Redis and PostgreSQL against the simulators.

- One scheduled cycle takes a new bank credit from the GoCardless simulator through sync,
  decision and posting: the WHMCS simulator shows the invoice Paid with one transaction, and
  a signed `match.auto_posted` webhook reaches a local receiver.
- A worker killed with SIGKILL mid-task has the task redelivered after restart, and the effect
  (the WHMCS payment) happens once.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from payymo.events.signing import verify
from tests.conftest import REDIS_URL, require_redis
from tests.integration.api.helpers import ok
from tests.integration.api.providers import (
    Providers,
    approved_posting,
    connect_everything,
    process_env,
    provider_api,
    reset_simulators,
    whmcs_payments,
)
from tests.integration.events.helpers import Received, Receiver

pytestmark = [pytest.mark.postgres, pytest.mark.redis]
CELERY = str(Path(sys.executable).parent / "celery")


def _env(postgres_url: str, providers: Providers, **extra: str) -> dict[str, str]:
    return process_env(
        postgres_url,
        providers,
        REDIS_URL=REDIS_URL,
        TASKS_EAGER="false",
        PYTHONUNBUFFERED="1",
        **extra,
    )


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    """Start `celery -A payymo.worker ...` processes; all are stopped at the end."""
    require_redis()
    redis.Redis.from_url(REDIS_URL).flushdb()
    started: list[subprocess.Popen[bytes]] = []

    def start(env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(  # noqa: S603 - our own worker
            [CELERY, "-A", "payymo.worker", *args],
            env=env,
            cwd=tmp_path,
            stdout=(tmp_path / f"celery-{len(started)}.log").open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
    redis.Redis.from_url(REDIS_URL).flushdb()


def _worker_args(name: str) -> list[str]:
    return [
        "worker",
        "--pool",
        "solo",
        "--loglevel",
        "INFO",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "-Q",
        "sync,reconcile,post,notify,default",
        "-n",
        f"{name}-{uuid.uuid4().hex[:6]}@%h",
    ]


def _wait_for(what: str, check: Callable[[], Any], timeout: float, logs: Path) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.5)
    dumps = "\n".join(p.read_text(errors="replace")[-3000:] for p in logs.glob("celery-*.log"))
    raise AssertionError(f"timed out waiting for {what}\n{dumps}")


def _new_invoice(providers: Providers, amount: str) -> tuple[int, str]:
    """A fresh Unpaid invoice for client 1 in the WHMCS simulator, and the client's name."""
    created = httpx.post(
        f"{providers.whmcs_url}/_sim/invoices",
        json={"userid": 1, "total": amount, "currency": "EUR"},
    )
    created.raise_for_status()
    invoice_id = int(created.json()["invoiceid"])
    state = httpx.get(f"{providers.whmcs_url}/_sim/state").json()
    invoice = next(i for i in state["invoices"] if i["id"] == invoice_id)
    return invoice_id, f"{invoice['firstname']} {invoice['lastname']}"


def _whmcs_invoice(providers: Providers, invoice_id: int) -> dict[str, Any]:
    state = httpx.get(f"{providers.whmcs_url}/_sim/state").json()
    invoice = next(i for i in state["invoices"] if i["id"] == invoice_id)
    invoice["payments"] = [t for t in state["transactions"] if t["invoiceid"] == str(invoice_id)]
    return dict(invoice)


def test_one_scheduled_cycle_syncs_decides_and_posts_a_new_bank_credit(
    postgres_url: str, providers: Providers, processes: Any, tmp_path: Path
) -> None:
    reset_simulators(providers)
    receiver = Receiver().__enter__()
    api = provider_api(postgres_url, providers)
    try:
        _, headers = connect_everything(api, providers)
        settings = ok(api.client().get("/api/v1/settings", headers=headers))
        settings["matching"].update({"auto_post": True, "shadow_mode": False})
        ok(api.client().put("/api/v1/settings", headers=headers, json=settings))
        endpoint = ok(
            api.client().post(
                "/api/v1/webhook-endpoints",
                headers=headers,
                json={"url": f"{receiver.url}/hooks", "events": ["match.auto_posted"]},
            ),
            201,
        )
    finally:
        api.services.db.dispose()
    invoice_id, payer = _new_invoice(providers, "123.45")
    gocardless = providers.gocardless_url.removesuffix("/api/v2")
    account = next(
        a
        for a in httpx.get(f"{gocardless}/_sim/state").json()["accounts"]
        if a["linked"] and a["currency"] == "EUR"
    )
    httpx.post(
        f"{gocardless}/_sim/accounts/{account['id']}/transactions",
        json=[
            {
                "amount": "123.45",
                "currency": "EUR",
                "booking_date": datetime.now(UTC).date().isoformat(),
                "remittance": f"Invoice {invoice_id}",
                "debtor_name": payer,
            }
        ],
    ).raise_for_status()

    env = _env(postgres_url, providers, SCHEDULE_SYNC_SECONDS="5", SCHEDULE_POST_SECONDS="3")
    processes(env, *_worker_args("e2e"))
    processes(env, "beat", "--loglevel", "WARNING", "-s", str(tmp_path / "beat-schedule"))

    paid = _wait_for(
        f"invoice {invoice_id} paid in WHMCS",
        lambda: (inv := _whmcs_invoice(providers, invoice_id))["status"] == "Paid" and inv,
        timeout=120,
        logs=tmp_path,
    )
    assert len(paid["payments"]) == 1
    assert paid["payments"][0]["amountin"] == "123.45"

    def announced() -> Received | None:
        for request in list(receiver.received):
            body = json.loads(request.body)
            if body["data"].get("whmcs_invoice_id") == invoice_id:
                return request
        return None

    try:
        request = _wait_for("the match.auto_posted webhook", announced, timeout=60, logs=tmp_path)
    finally:
        receiver.__exit__()
    assert json.loads(request.body)["type"] == "match.auto_posted"
    assert verify(
        endpoint["secret"],
        body=request.body,
        timestamp=request.headers["Payymo-Timestamp"],
        signature_header=request.headers["Payymo-Signature"],
        now=int(time.time()),
    )
    time.sleep(8)  # more cycles run: still one payment
    assert len(_whmcs_invoice(providers, invoice_id)["payments"]) == 1


def test_a_worker_killed_mid_task_gets_it_redelivered_and_the_effect_happens_once(
    postgres_url: str, providers: Providers, processes: Any, tmp_path: Path
) -> None:
    from payymo.settings import load_settings  # noqa: PLC0415
    from payymo.worker.app import celery_app, configure  # noqa: PLC0415

    reset_simulators(providers)
    api = provider_api(postgres_url, providers)
    try:
        headers, posting = approved_posting(api, providers)
        tenant_id = ok(api.client().get("/api/v1/tenant", headers=headers))["id"]
    finally:
        api.services.db.dispose()
    httpx.post(
        f"{providers.whmcs_url}/_sim/faults",
        json={"kind": "stall", "seconds": 60, "params": {"action": "AddInvoicePayment"}},
    ).raise_for_status()
    env = _env(
        postgres_url,
        providers,
        POSTING_LEASE_SECONDS="2",
        TASK_VISIBILITY_TIMEOUT_SECONDS="3",
        HTTP_TIMEOUT_SECONDS="90",
    )
    configure(load_settings(_env_file=None, redis_url=REDIS_URL, tasks_eager=False))
    try:
        worker = processes(env, *_worker_args("crash"))
        sent = celery_app.send_task("payymo.post", args=[tenant_id, []])
        _wait_for(
            "WHMCS to take the payment",
            lambda: whmcs_payments(providers, posting["transid"]),
            timeout=60,
            logs=tmp_path,
        )
        os.killpg(worker.pid, signal.SIGKILL)  # WHMCS has it; the worker never commits
        worker.wait(timeout=10)
        httpx.delete(f"{providers.whmcs_url}/_sim/faults").raise_for_status()
        time.sleep(4)  # past the visibility timeout and the posting's lease

        processes(env, *_worker_args("restarted"))
        result = sent.get(timeout=90)  # the same message, redelivered to the new worker
    finally:
        configure(load_settings(_env_file=None))
    assert result == {"posted": 0, "already_there": 1, "failed": 0}
    assert len(whmcs_payments(providers, posting["transid"])) == 1
