"""The scheduler (beat): what runs when.

- sync cycle, every SCHEDULE_SYNC_SECONDS: WHMCS refresh, Stripe sync, and each bank account
  the planner says is due; each sync is followed by reconciliation, and that by posting.
- post cycle, every SCHEDULE_POST_SECONDS: the outbox of each tenant with postings due.
- maintenance, every SCHEDULE_MAINTENANCE_SECONDS: consent-expiry notices, undelivered
  events, cleanup and retention.
- queue depth, every 30 s: the queue-depth metric.
- backup, daily at BACKUP_HOUR_UTC: the backup hook (`BACKUP_COMMAND`).

Cycle tasks fan out one task per tenant (and per bank account), so one tenant's outage never
holds up another's.
"""

from __future__ import annotations

import uuid
from typing import Any

from celery.schedules import crontab
from sqlalchemy import select

from payymo.banking.models import BankAccount, BankCallLedger, BankConnection, ProviderCallScope
from payymo.http import AppServices
from payymo.integrations.sync_all import live_connections
from payymo.invoicing.models import ConnectionStatus, Invoice, InvoiceStatus
from payymo.reconciliation import posting
from payymo.settings import Settings
from payymo.tenants import repository as tenants
from payymo.worker import metrics
from payymo.worker.app import QUEUES
from payymo.worker.base import payymo_task
from payymo.worker.enqueue import send
from payymo.worker.planner import DUE_SOON, bank_sync_due
from payymo.worker.tasks import POST, SYNC_BANK, SYNC_STRIPE, SYNC_WHMCS

SYNC_CYCLE = "payymo.schedule.sync_cycle"
POST_CYCLE = "payymo.schedule.post_cycle"
MAINTENANCE_CYCLE = "payymo.schedule.maintenance_cycle"
QUEUE_DEPTH = "payymo.schedule.queue_depth"
BACKUP = "payymo.maintenance.backup"
CONSENTS = "payymo.maintenance.consents"
CLEANUP = "payymo.maintenance.cleanup"
DISPATCH_PENDING = "payymo.events.dispatch"
DEFAULT_DAILY_LIMIT = 4  # GoCardless's documented default per account and scope


def beat_schedule(settings: Settings) -> dict[str, dict[str, Any]]:
    return {
        "sync-cycle": {"task": SYNC_CYCLE, "schedule": float(settings.schedule_sync_seconds)},
        "post-cycle": {"task": POST_CYCLE, "schedule": float(settings.schedule_post_seconds)},
        "maintenance-cycle": {
            "task": MAINTENANCE_CYCLE,
            "schedule": float(settings.schedule_maintenance_seconds),
        },
        "queue-depth": {"task": QUEUE_DEPTH, "schedule": 30.0},
        "nightly-backup": {
            "task": BACKUP,
            "schedule": crontab(hour=settings.backup_hour_utc, minute=0),
        },
    }


def _tenant_ids(app: AppServices) -> list[uuid.UUID]:
    with app.db.unit_of_work() as session:
        return [t.id for t in tenants.all_tenants(session)]


@payymo_task(SYNC_CYCLE, queue="default")
def sync_cycle(app: AppServices, tenant_id: uuid.UUID | None, ids: list[str]) -> dict[str, int]:
    sent = 0
    for tenant in _tenant_ids(app):
        has_whmcs, has_stripe = live_connections(app, tenant_id=tenant)
        if has_whmcs:
            send(SYNC_WHMCS, tenant)
            sent += 1
        if has_stripe:
            send(SYNC_STRIPE, tenant)
            sent += 1
        for account_id in due_bank_accounts(app, tenant):
            send(SYNC_BANK, tenant, [account_id])
            sent += 1
    return {"sent": sent}


def due_bank_accounts(app: AppServices, tenant_id: uuid.UUID) -> list[uuid.UUID]:
    """The tenant's active accounts the planner says to sync now."""
    now = app.clock.now()
    with app.db.unit_of_work(tenant_id) as session:
        accounts = session.scalars(
            select(BankAccount)
            .join(BankConnection, BankConnection.id == BankAccount.connection_id)
            .where(
                BankAccount.tenant_id == tenant_id,
                BankAccount.is_active.is_(True),
                BankConnection.status == ConnectionStatus.ACTIVE,
            )
        ).all()
        due_soon = (
            session.scalar(
                select(Invoice.id)
                .where(
                    Invoice.tenant_id == tenant_id,
                    Invoice.status == InvoiceStatus.UNPAID,
                    Invoice.due_on <= (now + DUE_SOON).date(),
                )
                .limit(1)
            )
            is not None
        )
        ledger = {
            row.account_id: row
            for row in session.scalars(
                select(BankCallLedger).where(
                    BankCallLedger.tenant_id == tenant_id,
                    BankCallLedger.scope == ProviderCallScope.TRANSACTIONS,
                    BankCallLedger.day == now.date(),
                )
            )
        }
        return [
            account.id
            for account in accounts
            if bank_sync_due(
                now=now,
                last_synced_at=account.last_synced_at,
                used_today=ledger[account.id].successes if account.id in ledger else 0,
                daily_limit=(ledger[account.id].limit if account.id in ledger else None)
                or DEFAULT_DAILY_LIMIT,
                reserve=app.settings.bank_quota_reserve,
                invoices_due_soon=due_soon,
            )
        ]


@payymo_task(POST_CYCLE, queue="default")
def post_cycle(app: AppServices, tenant_id: uuid.UUID | None, ids: list[str]) -> dict[str, int]:
    sent = 0
    for tenant in _tenant_ids(app):
        if posting.has_due(app, tenant_id=tenant):
            send(POST, tenant)
            sent += 1
    return {"sent": sent}


@payymo_task(MAINTENANCE_CYCLE, queue="default")
def maintenance_cycle(
    app: AppServices, tenant_id: uuid.UUID | None, ids: list[str]
) -> dict[str, int]:
    tenant_ids = _tenant_ids(app)
    for tenant in tenant_ids:
        for name in (CONSENTS, DISPATCH_PENDING, CLEANUP):
            send(name, tenant)
    return {"tenants": len(tenant_ids)}


@payymo_task(QUEUE_DEPTH, queue="default")
def queue_depth(app: AppServices, tenant_id: uuid.UUID | None, ids: list[str]) -> dict[str, int]:
    """Messages waiting per queue (Redis keeps each queue as a list named after it)."""
    if app.redis is None:
        return {}
    depths = {name: int(app.redis.llen(name)) for name in QUEUES}
    for name, depth in depths.items():
        metrics.QUEUE_DEPTH.labels(name).set(depth)
    return depths
