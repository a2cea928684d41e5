"""A posting worker killed with SIGKILL between WHMCS's success and its own commit, then
restarted, leaves exactly one WHMCS payment per allocation (PostgreSQL, real processes).

The WHMCS simulator is told to take the `AddInvoicePayment` and then hold its answer back: the
payment exists in WHMCS while the worker still waits to commit. The test kills the worker at that
moment, lets its lease run out and starts a new one, which must find the payment by `transid`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from payymo.db import Database
from tests.integration.api.helpers import ok
from tests.integration.api.providers import (
    Providers,
    approved_posting,
    process_env,
    provider_api,
    reset_simulators,
    whmcs_payments,
)

LEASE_SECONDS = 2


def _start_worker(env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    payymo = str(Path(sys.executable).parent / "payymo")
    return subprocess.Popen(  # noqa: S603 - our own command
        [payymo, "post"],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _posting_row(url: str, tenant_id: uuid.UUID, posting_id: str) -> sa.Row[tuple[str, int]]:
    database = Database(url, pool_size=1)
    try:
        with database.unit_of_work(tenant_id) as session:
            return session.execute(
                sa.text("SELECT status, attempts FROM postings WHERE id = :id"), {"id": posting_id}
            ).one()
    finally:
        database.dispose()


@pytest.mark.postgres
def test_a_worker_killed_after_whmcs_took_the_payment_does_not_post_it_twice(
    postgres_url: str, providers: Providers, tmp_path: Path
) -> None:
    reset_simulators(providers)
    api = provider_api(postgres_url, providers)
    try:
        headers, posting = approved_posting(api, providers)
        tenant_id = uuid.UUID(ok(api.client().get("/api/v1/tenant", headers=headers))["id"])
    finally:
        api.services.db.dispose()
    transid = posting["transid"]
    httpx.post(
        f"{providers.whmcs_url}/_sim/faults",
        json={"kind": "stall", "seconds": 30, "params": {"action": "AddInvoicePayment"}},
    ).raise_for_status()
    env = process_env(
        postgres_url,
        providers,
        POSTING_LEASE_SECONDS=str(LEASE_SECONDS),
        HTTP_TIMEOUT_SECONDS="60",
    )

    worker = _start_worker(env, tmp_path)
    try:
        deadline = time.monotonic() + 30
        while not whmcs_payments(providers, transid):
            assert worker.poll() is None, worker.communicate()
            assert time.monotonic() < deadline, "WHMCS never received the payment"
            time.sleep(0.05)
        os.kill(worker.pid, signal.SIGKILL)  # WHMCS has the payment; the worker never hears
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == -signal.SIGKILL
    status, attempts = _posting_row(postgres_url, tenant_id, posting["id"])
    assert (status, attempts) == ("in_progress", 1)  # the kill came before the local commit

    httpx.delete(f"{providers.whmcs_url}/_sim/faults").raise_for_status()
    time.sleep(LEASE_SECONDS + 0.5)  # the dead worker's lease runs out
    restarted = _start_worker(env, tmp_path)
    out, err = restarted.communicate(timeout=120)
    assert restarted.returncode == 0, err
    assert "posted 0, already in WHMCS 1, failed 0" in out
    assert len(whmcs_payments(providers, transid)) == 1
    assert _posting_row(postgres_url, tenant_id, posting["id"]) == ("done", 2)

    again = _start_worker(env, tmp_path)  # a duplicate run later changes nothing
    out, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    assert len(whmcs_payments(providers, transid)) == 1
