"""The Integration API end to end: connect WHMCS, Stripe and a bank through the HTTP API against
the simulators over loopback, sync each, and find no plaintext secret in a database dump."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from payymo import migrate
from payymo.events.models import Event, EventType
from payymo.integrations import sync_all
from payymo.reconciliation.posting import post_due
from tests.conftest import PostgresDatabase
from tests.integration.api.conftest import new_member
from tests.integration.api.helpers import ok, problem
from tests.integration.api.providers import (
    BASE,
    Providers,
    approved_posting,
    connect_everything,
    process_env,
    provider_api,
    reset_simulators,
    whmcs_payments,
)
from tests.integration.events.helpers import add_channel


def test_connecting_and_syncing_all_three_providers_through_the_api(
    sqlite_url: str, providers: Providers
) -> None:
    api = provider_api(sqlite_url, providers)
    _, headers = connect_everything(api, providers)
    client = api.client()

    status = ok(client.get(BASE, headers=headers))
    assert status["whmcs"]["status"] == "active"
    assert status["stripe"]["status"] == "active"
    assert {a["currency"] for a in status["bank_accounts"]} >= {"EUR"}
    assert status["bank_accounts"]
    assert all(a["iban"] and "****" in a["iban"] for a in status["bank_accounts"])
    text = client.get(BASE, headers=headers).get_data(as_text=True)
    assert not any(secret in text for secret in providers.secrets())

    invoices = ok(client.post(f"{BASE}/whmcs/sync", headers=headers))
    assert invoices["counts"]["created"] > 0
    assert ok(client.get("/api/v1/invoices?limit=5", headers=headers))["data"]
    again = ok(client.post(f"{BASE}/whmcs/sync", headers=headers))
    assert again["counts"]["created"] == 0

    payments = ok(client.post(f"{BASE}/stripe/sync", headers=headers))
    assert payments["counts"]["payments_added"] > 0

    account = status["bank_accounts"][0]
    first = ok(client.post(f"{BASE}/bank/accounts/{account['id']}/sync", headers=headers))
    assert first["added"] > 0
    listed = ok(client.get(f"/api/v1/transactions?account_id={account['id']}", headers=headers))
    assert len(listed["data"]) > 0
    second = ok(client.post(f"{BASE}/bank/accounts/{account['id']}/sync", headers=headers))
    assert second["added"] == 0


def test_wrong_whmcs_credentials_are_a_field_error_and_store_nothing(
    sqlite_url: str, providers: Providers
) -> None:
    api = provider_api(sqlite_url, providers)
    headers = new_member(api).headers()
    response = api.client().put(
        f"{BASE}/whmcs",
        headers=headers,
        json={
            "base_url": providers.whmcs_url,
            "identifier": providers.whmcs_identifier,
            "secret": "not-the-secret",
        },
    )
    body = problem(response, 422, "validation-failed")
    assert {e["field"] for e in body["errors"]} & {"identifier", "secret"}
    problem(api.client().get(f"{BASE}/whmcs", headers=headers), 404, "not-found")


def test_an_unreachable_provider_is_a_503_problem(sqlite_url: str, providers: Providers) -> None:
    api = provider_api(sqlite_url, providers)
    headers = new_member(api).headers()
    response = api.client().put(
        f"{BASE}/whmcs",
        headers=headers,
        json={"base_url": "http://127.0.0.1:9", "identifier": "x", "secret": "y"},
    )
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"


@pytest.mark.postgres
def test_a_database_dump_holds_no_plaintext_secret(
    postgres_database: PostgresDatabase, providers: Providers
) -> None:
    api = provider_api(postgres_database.app_url, providers)
    try:
        connect_everything(api, providers)
    finally:
        api.services.db.dispose()
    # A backup reads every tenant's rows: only a role that bypasses row-level security may.
    url = make_url(postgres_database.admin_url)
    dump = subprocess.run(  # noqa: S603 - the PostgreSQL client with fixed arguments
        [
            shutil.which("pg_dump") or "/usr/bin/pg_dump",
            "--data-only",
            "-h",
            url.host or "127.0.0.1",
            "-p",
            str(url.port or 5432),
            "-U",
            url.username or "postgres",
            url.database or "",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    assert "whmcs_connections" in dump
    assert "stripe_connections" in dump
    for secret in providers.secrets():
        assert secret not in dump


def test_the_sync_command_syncs_everything_and_reports_failures(
    tmp_path: Path, providers: Providers
) -> None:
    url = f"sqlite:///{tmp_path / 'sync.db'}"
    migrate.upgrade(url)
    api = provider_api(url, providers)
    owner, _ = connect_everything(api, providers)
    env = process_env(url, providers, LOG_LEVEL="INFO")
    payymo = str(Path(sys.executable).parent / "payymo")

    def sync(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 - our own command
            [payymo, "sync", "--tenant", owner.slug, *args],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
            cwd=tmp_path,
        )

    done = sync()
    assert done.returncode == 0, done.stderr
    # stdout holds only the result rows, each naming the tenant by its slug.
    *rows, total = done.stdout.splitlines()
    assert [row.split()[:2] for row in rows] == [["ok", owner.slug]] * len(rows)
    assert [row.split()[2] for row in rows] == ["whmcs", "stripe", "bank", "bank", "reconcile"]
    assert total == f"{len(rows)} step(s), 0 failed"
    # The log lines are on stderr, from LOG_LEVEL up: a debug line such as each WHMCS call is not.
    logs = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    assert "stripe sync finished" in [entry["event"] for entry in logs]
    assert {entry["level"] for entry in logs} <= {"info", "warning", "error"}
    assert "whmcs.call" not in done.stdout + done.stderr

    httpx.post(
        f"{providers.whmcs_url}/_sim/faults",
        json={"kind": "error", "path": "/includes/api.php", "times": 10},
    )
    try:
        failed = sync()
    finally:
        httpx.delete(f"{providers.whmcs_url}/_sim/faults")
    assert failed.returncode == 1
    assert "FAILED" in failed.stdout
    assert "whmcs" in failed.stdout.split("FAILED", 1)[1].splitlines()[0]
    assert "Traceback" not in failed.stderr


def test_a_disconnected_stripe_is_left_out_of_sync(sqlite_url: str, providers: Providers) -> None:
    api = provider_api(sqlite_url, providers)
    owner, headers = connect_everything(api, providers)
    api.client().delete(f"{BASE}/stripe", headers=headers)
    steps = [name for name, _ in sync_all.plan(api.services, tenant_id=owner.tenant_id)]
    assert "stripe" not in steps
    assert "whmcs" in steps


def test_an_approved_allocation_is_posted_to_whmcs_exactly_once(
    tmp_path: Path, providers: Providers
) -> None:
    url = f"sqlite:///{tmp_path / 'post.db'}"
    migrate.upgrade(url)
    reset_simulators(providers)
    api = provider_api(url, providers)
    headers, posting = approved_posting(api, providers)
    first = ok(api.client().post("/api/v1/reconciliation/post", headers=headers))
    assert first["posted"] == 1
    again = ok(api.client().post("/api/v1/reconciliation/post", headers=headers))
    assert again["posted"] == 0
    assert len(whmcs_payments(providers, posting["transid"])) == 1


def test_a_payment_whmcs_recorded_before_a_crash_is_not_posted_again(
    tmp_path: Path, providers: Providers
) -> None:
    url = f"sqlite:///{tmp_path / 'crash.db'}"
    migrate.upgrade(url)
    reset_simulators(providers)
    api = provider_api(url, providers)
    headers, posting = approved_posting(api, providers)
    # WHMCS took the payment, but the worker died before Payymo committed: simulate exactly that.
    httpx.post(
        f"{providers.whmcs_url}/includes/api.php",
        data={
            "action": "AddInvoicePayment",
            "identifier": providers.whmcs_identifier,
            "secret": providers.whmcs_secret,
            "responsetype": "json",
            "invoiceid": str(posting["whmcs_invoice_id"]),
            "transid": posting["transid"],
            "gateway": "banktransfer",
            "amount": posting["amount"]["amount"],
        },
    )
    result = ok(api.client().post("/api/v1/reconciliation/post", headers=headers))
    assert (result["posted"], result["already_there"]) == (0, 1)
    assert len(whmcs_payments(providers, posting["transid"])) == 1


def test_an_unmatched_posting_is_never_sent(tmp_path: Path, providers: Providers) -> None:
    url = f"sqlite:///{tmp_path / 'unmatch.db'}"
    migrate.upgrade(url)
    reset_simulators(providers)
    api = provider_api(url, providers)
    headers, posting = approved_posting(api, providers)
    transactions = ok(api.client().get("/api/v1/transactions?limit=200", headers=headers))["data"]
    applied = [
        d["decision"]
        for d in (
            ok(api.client().get(f"/api/v1/transactions/{t['id']}", headers=headers))
            for t in transactions
        )
        if d["decision"] and d["decision"]["state"] == "applied"
    ]
    ok(api.client().post(f"/api/v1/decisions/{applied[0]['id']}/unmatch", headers=headers))
    result = ok(api.client().post("/api/v1/reconciliation/post", headers=headers))
    assert (result["posted"], result["already_there"], result["failed"]) == (0, 0, 0)
    assert whmcs_payments(providers, posting["transid"]) == []


def test_a_whmcs_outage_of_ten_minutes_is_retried_with_backoff_and_posts_once(
    tmp_path: Path, providers: Providers
) -> None:
    url = f"sqlite:///{tmp_path / 'outage.db'}"
    migrate.upgrade(url)
    reset_simulators(providers)
    api = provider_api(url, providers)
    headers, posting = approved_posting(api, providers)
    tenant_id = uuid.UUID(ok(api.client().get("/api/v1/tenant", headers=headers))["id"])
    add_channel(api, tenant_id, "email", "ops@example.com", [EventType.POSTING_FAILED])
    httpx.post(
        f"{providers.whmcs_url}/_sim/faults",
        json={"kind": "error", "path": "/includes/api.php", "times": None, "status": 500},
    ).raise_for_status()
    attempts = 0
    try:
        for _ in range(20):  # ten simulated minutes, the post cycle every 30 seconds
            result = post_due(api.services, tenant_id=tenant_id)
            attempts += result.failed
            assert result.posted == 0
            api.clock.advance(seconds=30)
    finally:
        httpx.delete(f"{providers.whmcs_url}/_sim/faults").raise_for_status()
    # Backoff (30 s, doubling) spaces the attempts out: far fewer than the 20 cycles.
    assert 3 <= attempts <= 6
    api.clock.advance(seconds=3600)
    assert post_due(api.services, tenant_id=tenant_id).posted == 1
    assert len(whmcs_payments(providers, posting["transid"])) == 1
    with api.services.db.unit_of_work() as session:
        failed = session.scalars(select(Event).where(Event.type == "posting.failed")).all()
    assert len(failed) == 1  # one notice per posting, not one per retry
    assert failed[0].payload["transid"] == posting["transid"]
    mails = [m for m in api.mailer.outbox if m.to == "ops@example.com"]
    assert len(mails) == 1
