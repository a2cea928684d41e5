"""Refreshing the local invoice snapshot from WHMCS.

What is listed: every invoice, all statuses, ordered by id. GetInvoices has no "changed since"
filter, so "Unpaid + recently changed" would still need a way to notice invoices that left
Unpaid; and paging a status-filtered list while invoices leave it shifts the pages and skips
rows. An unfiltered list ordered by id only shifts when an invoice is deleted. Paid and
cancelled invoices stay in the snapshot too: a payment citing one is a signal for review.

Which invoices get a GetInvoice call (the only source of `balance`): open ones (Unpaid,
Payment Pending, Collections) that are new to the snapshot, whose status/total/`updated_at`
changed since the last run, or that were already partly paid; an unchanged open invoice that
owed its total still does. Paid, Cancelled and Refunded invoices owe nothing; a Draft owes its
total once issued. The gap: a partial payment that does not touch the invoice's `updated_at`
is seen late; posting re-checks the balance with GetInvoice anyway.

All or nothing: everything is fetched first and written in one transaction, so a bad page, an
outage or a rate limit half-way leaves the snapshot exactly as it was.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from payymo.errors import NotFound
from payymo.http import AppServices
from payymo.integrations.errors import ProviderAuthError, ProviderBadResponse, ProviderError
from payymo.invoicing.connections import client_for, connection_row, get_whmcs_connection
from payymo.invoicing.models import ConnectionStatus, Invoice, InvoiceStatus
from payymo.invoicing.whmcs import WhmcsClient
from payymo.invoicing.whmcs_models import WhmcsInvoice, WhmcsInvoiceRow
from payymo.jobs.runner import JobHandle, track_job
from payymo.money import Money, MoneyError

Progress = Callable[[int, int | None], None]
"""Called after each page with (invoices listed so far, total WHMCS reports)."""

OPEN_STATUSES = frozenset(
    {InvoiceStatus.UNPAID, InvoiceStatus.PAYMENT_PENDING, InvoiceStatus.COLLECTIONS}
)


@dataclass(frozen=True)
class InvoiceSyncResult:
    job_id: uuid.UUID
    listed: int
    created: int
    updated: int
    unchanged: int
    balances_fetched: int


@dataclass(frozen=True)
class _Known:
    """What the snapshot holds about one invoice, enough to decide whether to re-fetch it."""

    fingerprint: tuple[str, int, str | None]
    balance_differs: bool


@dataclass(frozen=True)
class _Fresh:
    """One invoice as WHMCS now reports it, in snapshot columns."""

    whmcs_invoice_id: int
    invoice_num: str
    whmcs_client_id: int
    client_name: str
    company_name: str
    status: InvoiceStatus
    currency: str
    total_minor: int
    balance_minor: int
    issued_on: date | None
    due_on: date | None
    paid_at: datetime | None
    payment_method: str
    raw: dict[str, Any]


def sync_invoices(
    app: AppServices, *, tenant_id: uuid.UUID, progress: Progress | None = None
) -> InvoiceSyncResult:
    """Refresh the tenant's invoice snapshot from WHMCS, all or nothing, as an invoice_sync job."""
    connection = get_whmcs_connection(app, tenant_id=tenant_id)
    params = {"connection_id": str(connection.id)}
    try:
        with track_job(app, tenant_id=tenant_id, kind="invoice_sync", params=params) as job:
            known = _known_invoices(app, tenant_id)
            with client_for(app, connection) as client:
                fresh, fetched = _fetch(client, known, _reporter(job, progress))
            counts = _store(app, tenant_id, fresh)
            job.result = {**counts, "listed": len(fresh), "balances_fetched": fetched}
    except ProviderError as exc:
        _record_failure(app, tenant_id, exc)
        raise
    return InvoiceSyncResult(job_id=job.id, **job.result)


def _reporter(job: JobHandle, progress: Progress | None) -> Progress:
    def report(done: int, total: int | None) -> None:
        job.progress(done, total)
        if progress is not None:
            progress(done, total)

    return report


def _known_invoices(app: AppServices, tenant_id: uuid.UUID) -> dict[int, _Known]:
    with app.db.unit_of_work(tenant_id) as session:
        rows = session.execute(
            select(
                Invoice.whmcs_invoice_id,
                Invoice.status,
                Invoice.total_minor,
                Invoice.balance_minor,
                Invoice.raw,
            ).where(Invoice.tenant_id == tenant_id)
        )
        return {
            whmcs_id: _Known(
                fingerprint=(str(status), total, (raw or {}).get("updated_at")),
                balance_differs=balance != total,
            )
            for whmcs_id, status, total, balance, raw in rows
        }


def _fetch(
    client: WhmcsClient, known: dict[int, _Known], report: Progress
) -> tuple[list[_Fresh], int]:
    """Every invoice WHMCS lists, with balances; and how many GetInvoice calls that took."""
    fresh: dict[int, _Fresh] = {}
    fetched = 0
    for page in client.iter_invoice_pages():
        for row in page.invoices:
            detail = None
            if _needs_balance(row, known.get(row.id)):
                detail, fetched = client.get_invoice(row.id), fetched + 1
            fresh[row.id] = _snapshot(row, detail)
        report(len(fresh), page.total_results)
    return list(fresh.values()), fetched


def _needs_balance(row: WhmcsInvoiceRow, known: _Known | None) -> bool:
    if row.status not in OPEN_STATUSES:
        return False
    if known is None or known.balance_differs:
        return True
    return known.fingerprint != (str(row.status), _minor(row.total, row.currency), _updated(row))


def _updated(row: WhmcsInvoiceRow) -> str | None:
    value = row.raw.get("updated_at")
    return value if isinstance(value, str) else None


def _snapshot(row: WhmcsInvoiceRow, detail: WhmcsInvoice | None) -> _Fresh:
    # GetInvoice ran after the list, so where both speak, it is the fresher of the two.
    status = detail.status if detail else row.status
    total = _minor(row.total, row.currency)
    if detail is not None:
        balance = _minor(detail.balance, row.currency)
    else:
        balance = total if status in OPEN_STATUSES or status is InvoiceStatus.DRAFT else 0
    return _Fresh(
        whmcs_invoice_id=row.id,
        invoice_num=row.invoice_num[:64],
        whmcs_client_id=row.client_id,
        client_name=row.client_name[:200],
        company_name=row.company_name[:200],
        status=status,
        currency=row.currency,
        total_minor=total,
        balance_minor=balance,
        issued_on=row.issued_on,
        due_on=row.due_on,
        paid_at=detail.paid_at if detail else row.paid_at,
        payment_method=row.payment_method[:64],
        raw=row.raw,
    )


def _minor(amount: Decimal, currency: str) -> int:
    try:
        return Money(amount, currency).to_minor()
    except MoneyError as exc:
        raise ProviderBadResponse(f"WHMCS sent an amount that is not {currency}: {exc}") from None


def _store(app: AppServices, tenant_id: uuid.UUID, fresh: Iterable[_Fresh]) -> dict[str, int]:
    """Upsert on (tenant, WHMCS id) in one transaction; the connection row lock serializes runs."""
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    now = app.clock.now()
    with app.db.unit_of_work(tenant_id) as session:
        connection = connection_row(session, tenant_id, lock=True)
        if connection is None:
            raise NotFound(detail="the WHMCS connection was removed during the sync")
        existing = {
            invoice.whmcs_invoice_id: invoice
            for invoice in session.scalars(select(Invoice).where(Invoice.tenant_id == tenant_id))
        }
        for invoice in fresh:
            values = asdict(invoice)
            current = existing.get(invoice.whmcs_invoice_id)
            if current is None:
                session.add(Invoice(tenant_id=tenant_id, synced_at=now, **values))
                counts["created"] += 1
                continue
            changed = {k: v for k, v in values.items() if getattr(current, k) != v}
            for name, value in changed.items():
                setattr(current, name, value)
            current.synced_at = now
            counts["updated" if changed else "unchanged"] += 1
        connection.status, connection.last_error = ConnectionStatus.ACTIVE, None
        connection.last_synced_at = now
    return counts


def _record_failure(app: AppServices, tenant_id: uuid.UUID, exc: ProviderError) -> None:
    with app.db.unit_of_work(tenant_id) as session:
        connection = connection_row(session, tenant_id, lock=True)
        if connection is None:
            return
        connection.last_error = exc.message[:2000]
        if isinstance(exc, ProviderAuthError):
            connection.status = ConnectionStatus.ERROR
