"""Invoice sync: the snapshot follows WHMCS, idempotently, and a failed run changes nothing."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from payymo.errors import NotFound
from payymo.integrations.errors import ProviderAuthError, ProviderBadResponse, ProviderUnavailable
from payymo.invoicing.connections import connect_whmcs, get_whmcs_connection
from payymo.invoicing.models import ConnectionStatus, Invoice, InvoiceStatus, WhmcsConnection
from payymo.invoicing.sync import InvoiceSyncResult, sync_invoices
from payymo.jobs.models import JobRun, JobStatus
from tests.integration.api.conftest import Api

from .conftest import IDENTIFIER, SECRET, Tenant, Whmcs, new_tenant
from .test_connections import ACTOR

SEEDED = 58


def connected(api: Api, whmcs: Whmcs) -> Tenant:
    tenant = new_tenant(api)
    connect_whmcs(
        api.services,
        tenant_id=tenant.tenant_id,
        actor=ACTOR,
        base_url=whmcs.url,
        identifier=IDENTIFIER,
        secret=SECRET,
    )
    return tenant


def sync(tenant: Tenant, **options: Any) -> InvoiceSyncResult:
    return sync_invoices(tenant.api.services, tenant_id=tenant.tenant_id, **options)


def snapshot(tenant: Tenant) -> dict[int, Invoice]:
    with tenant.api.services.db.unit_of_work(tenant.tenant_id) as session:
        rows = session.scalars(select(Invoice).where(Invoice.tenant_id == tenant.tenant_id))
        return {invoice.whmcs_invoice_id: invoice for invoice in rows}


def summary(tenant: Tenant) -> dict[int, tuple[Any, ...]]:
    return {
        whmcs_id: (i.status, i.total_minor, i.balance_minor, i.raw, i.synced_at)
        for whmcs_id, i in snapshot(tenant).items()
    }


def jobs(tenant: Tenant) -> list[JobRun]:
    with tenant.api.services.db.unit_of_work(tenant.tenant_id) as session:
        query = select(JobRun).where(JobRun.tenant_id == tenant.tenant_id)
        return list(session.scalars(query.order_by(JobRun.created_at)))


def connection(tenant: Tenant) -> WhmcsConnection:
    return get_whmcs_connection(tenant.api.services, tenant_id=tenant.tenant_id)


def cents(amount: str) -> int:
    return int(Decimal(amount) * 100)


def first_unpaid(whmcs: Whmcs, skip: int = 0) -> int:
    invoice_id: int = whmcs.invoices("Unpaid")[skip]["id"]
    return invoice_id


def test_the_first_sync_stores_every_invoice_with_whmcs_balances(api: Api, whmcs: Whmcs) -> None:
    tenant = connected(api, whmcs)
    partly_paid = first_unpaid(whmcs)
    whmcs.pay(partly_paid, "5.00")

    result = sync(tenant)

    expected = {i["id"]: i for i in whmcs.invoices()}
    stored = snapshot(tenant)
    assert (result.listed, result.created, result.updated) == (SEEDED, SEEDED, 0)
    assert result.balances_fetched == len(whmcs.invoices("Unpaid"))
    assert set(stored) == set(expected)
    for whmcs_id, invoice in stored.items():
        sim = expected[whmcs_id]
        assert (invoice.status, invoice.currency) == (sim["status"], sim["currencycode"])
        assert invoice.total_minor == cents(sim["total"])
        owed = 0 if sim["status"] == "Cancelled" else cents(sim["balance"])
        assert invoice.balance_minor == owed
        assert invoice.client_name == f"{sim['firstname']} {sim['lastname']}"
        assert invoice.company_name == sim["companyname"]
        assert invoice.synced_at == api.clock.now()
    assert stored[partly_paid].balance_minor == stored[partly_paid].total_minor - 500


def test_the_first_sync_is_a_succeeded_job_and_marks_the_connection_synced(
    api: Api, whmcs: Whmcs
) -> None:
    tenant = connected(api, whmcs)

    result = sync(tenant)

    [job] = jobs(tenant)
    assert (job.id, job.kind, job.status) == (result.job_id, "invoice_sync", JobStatus.SUCCEEDED)
    assert job.result is not None
    assert job.result["created"] == SEEDED
    assert (job.progress_current, job.progress_total) == (SEEDED, SEEDED)
    assert connection(tenant).last_synced_at == api.clock.now()


def test_a_second_sync_adds_no_rows_and_only_refetches_partly_paid_balances(
    api: Api, whmcs: Whmcs
) -> None:
    tenant = connected(api, whmcs)
    whmcs.pay(first_unpaid(whmcs), "5.00")
    sync(tenant)

    again = sync(tenant)

    assert (again.created, again.updated, again.unchanged) == (0, 0, SEEDED)
    assert again.balances_fetched == 1
    assert len(snapshot(tenant)) == SEEDED


def test_a_later_sync_updates_what_changed_in_whmcs(api: Api, whmcs: Whmcs) -> None:
    tenant = connected(api, whmcs)
    sync(tenant)
    cancelled, paid_in_part = first_unpaid(whmcs), first_unpaid(whmcs, skip=1)
    whmcs.set_status(cancelled, "Cancelled")
    whmcs.pay(paid_in_part, "2.50")
    added = whmcs.add_invoice(total="12.00", currency="GBP")
    api.clock.advance(minutes=10)

    result = sync(tenant)

    assert (result.created, result.updated, result.unchanged) == (1, 2, SEEDED - 2)
    assert result.balances_fetched == 2  # the one paid in part and the new one
    stored = snapshot(tenant)
    assert (stored[cancelled].status, stored[cancelled].balance_minor) == (
        InvoiceStatus.CANCELLED,
        0,
    )
    assert stored[paid_in_part].balance_minor == stored[paid_in_part].total_minor - 250
    assert (stored[added].currency, stored[added].balance_minor) == ("GBP", 1200)
    assert stored[cancelled].synced_at == api.clock.now()


def test_a_malformed_page_leaves_the_snapshot_as_it_was(api: Api, whmcs: Whmcs) -> None:
    tenant = connected(api, whmcs)
    sync(tenant)
    before = summary(tenant)
    whmcs.set_status(first_unpaid(whmcs), "Cancelled")  # on the first page
    whmcs.quirks(ignore_limitnum=True)  # pages of 25, so there is a second page to break
    api.clock.advance(minutes=10)

    def break_the_next_page(done: int, total: int | None) -> None:
        whmcs.fault("malformed")

    with pytest.raises(ProviderBadResponse):
        sync(tenant, progress=break_the_next_page)

    assert summary(tenant) == before
    assert jobs(tenant)[-1].status is JobStatus.FAILED
    assert "not a JSON object" in (connection(tenant).last_error or "")


def test_a_server_error_storm_fails_the_job_and_keeps_the_snapshot(api: Api, whmcs: Whmcs) -> None:
    tenant = connected(api, whmcs)
    sync(tenant)
    before = summary(tenant)
    whmcs.set_status(first_unpaid(whmcs), "Cancelled")
    whmcs.fault("error", times=None)
    api.clock.advance(minutes=10)

    with pytest.raises(ProviderUnavailable):
        sync(tenant)

    assert summary(tenant) == before
    failed = jobs(tenant)[-1]
    assert failed.status is JobStatus.FAILED
    assert failed.error == "WHMCS GetInvoices: Injected server error"
    stored = connection(tenant)
    assert (stored.status, stored.last_error) == (ConnectionStatus.ACTIVE, failed.error)

    whmcs.clear_faults()
    assert sync(tenant).updated == 1
    assert connection(tenant).last_error is None


def test_progress_is_reported_after_every_page(api: Api, whmcs: Whmcs) -> None:
    tenant = connected(api, whmcs)
    whmcs.quirks(ignore_limitnum=True, numreturned_is_total=True)
    reported: list[tuple[int, int | None]] = []

    sync(tenant, progress=lambda done, total: reported.append((done, total)))

    assert reported == [(25, SEEDED), (50, SEEDED), (SEEDED, SEEDED)]


def test_refused_credentials_put_the_connection_in_error(api: Api, whmcs: Whmcs) -> None:
    tenant = connected(api, whmcs)
    with api.services.db.unit_of_work(tenant.tenant_id) as session:
        query = select(WhmcsConnection).where(WhmcsConnection.tenant_id == tenant.tenant_id)
        stored = session.scalars(query).one()
        stored.secret_encrypted = api.services.box.encrypt("revoked-in-whmcs")

    with pytest.raises(ProviderAuthError):
        sync(tenant)

    refused = connection(tenant)
    assert refused.status is ConnectionStatus.ERROR
    assert "Authentication Failed" in (refused.last_error or "")
    assert snapshot(tenant) == {}


def test_syncing_without_a_connection_is_not_found_and_starts_no_job(api: Api) -> None:
    tenant = new_tenant(api)

    with pytest.raises(NotFound):
        sync(tenant)

    assert jobs(tenant) == []


def test_tenants_syncing_the_same_whmcs_get_separate_snapshots(api: Api, whmcs: Whmcs) -> None:
    first, second = connected(api, whmcs), connected(api, whmcs)

    sync(first)
    result = sync(second)

    assert result.created == SEEDED
    ids: set[uuid.UUID] = {i.id for i in snapshot(first).values()}
    assert ids.isdisjoint(i.id for i in snapshot(second).values())
