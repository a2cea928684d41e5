"""The tasks: syncs, reconciliation and posting, each `(tenant_id, ids)` and idempotent.

A sync that changed something is followed by reconciliation, and a reconciliation that queued
postings by posting: a bank credit is synced, decided and posted within one scheduled cycle.
"""

from __future__ import annotations

import uuid
from typing import Any

from payymo.banking import sync as bank_sync
from payymo.errors import NotFound
from payymo.events.emit import emit
from payymo.events.models import EventType
from payymo.http import AppServices
from payymo.integrations.errors import ProviderError
from payymo.invoicing.sync import sync_invoices
from payymo.payments.sync import sync_stripe
from payymo.reconciliation import posting
from payymo.reconciliation.services import run_reconciliation
from payymo.worker.base import payymo_task
from payymo.worker.enqueue import send

SYNC_WHMCS = "payymo.sync.whmcs"
SYNC_STRIPE = "payymo.sync.stripe"
SYNC_BANK = "payymo.sync.bank"
RECONCILE = "payymo.reconcile"
POST = "payymo.post"


def _tenant(tenant_id: uuid.UUID | None) -> uuid.UUID:
    if tenant_id is None:
        raise ValueError("this task needs a tenant id")
    return tenant_id


def _sync_failed(app: AppServices, tenant_id: uuid.UUID, what: str, exc: Exception) -> None:
    """One `sync.failed` event per failing sync and day (the schedule retries it meanwhile)."""
    day = app.clock.now().date().isoformat()
    message = getattr(exc, "message", None) or str(exc)
    with app.db.unit_of_work(tenant_id) as session:
        emit(
            session,
            tenant_id=tenant_id,
            type=EventType.SYNC_FAILED,
            key=f"sync.failed:{what}:{day}",
            payload={"sync": what, "error": message[:500]},
        )


def _guarded_sync(app: AppServices, tenant_id: uuid.UUID, what: str, run: Any) -> Any:
    try:
        return run()
    except ProviderError as exc:
        if not exc.retryable:
            _sync_failed(app, tenant_id, what, exc)
        raise


@payymo_task(SYNC_WHMCS, queue="sync")
def sync_whmcs_task(
    app: AppServices, tenant_id: uuid.UUID | None, ids: list[str]
) -> dict[str, Any]:
    tenant = _tenant(tenant_id)
    result = _guarded_sync(app, tenant, "whmcs", lambda: sync_invoices(app, tenant_id=tenant))
    send(RECONCILE, tenant)
    return {"listed": result.listed, "created": result.created, "updated": result.updated}


@payymo_task(SYNC_STRIPE, queue="sync")
def sync_stripe_task(
    app: AppServices, tenant_id: uuid.UUID | None, ids: list[str]
) -> dict[str, Any]:
    tenant = _tenant(tenant_id)
    result = _guarded_sync(app, tenant, "stripe", lambda: sync_stripe(app, tenant_id=tenant))
    send(RECONCILE, tenant)
    return dict(result.as_dict())


@payymo_task(SYNC_BANK, queue="sync")
def sync_bank_task(app: AppServices, tenant_id: uuid.UUID | None, ids: list[str]) -> dict[str, Any]:
    """Sync the given bank accounts (scheduled: the quota's reserve is left alone)."""
    tenant = _tenant(tenant_id)
    changed, results = 0, {}
    for account in ids:
        account_id = uuid.UUID(account)

        def run(account_id: uuid.UUID = account_id) -> bank_sync.SyncResult:
            return bank_sync.sync_account(app, tenant_id=tenant, account_id=account_id)

        result = _guarded_sync(app, tenant, f"bank:{account}", run)
        changed += result.added + result.updated
        results[account] = result.as_dict()
    if changed:
        send(RECONCILE, tenant)
    return results


@payymo_task(RECONCILE, queue="reconcile")
def reconcile_task(app: AppServices, tenant_id: uuid.UUID | None, ids: list[str]) -> dict[str, Any]:
    tenant = _tenant(tenant_id)
    result = run_reconciliation(app, tenant_id=tenant)
    if posting.has_due(app, tenant_id=tenant):
        send(POST, tenant)
    return {
        "decided": result.decided,
        "by_status": result.by_status,
        "in_review": result.in_review,
    }


@payymo_task(POST, queue="post")
def post_task(app: AppServices, tenant_id: uuid.UUID | None, ids: list[str]) -> dict[str, Any]:
    tenant = _tenant(tenant_id)
    try:
        run = posting.post_due(app, tenant_id=tenant)
    except NotFound:
        return {"skipped": "no WHMCS connection"}
    return {"posted": run.posted, "already_there": run.already_there, "failed": run.failed}
