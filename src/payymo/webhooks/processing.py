"""Acting on stored webhook events: each one asks for the sync that brings in what changed.

The syncs are idempotent and read the provider's current state, so an event only says *when*
to sync; a batch of events asks for each sync once. An event ends PROCESSED (its sync was
requested), IGNORED (nothing to do, with the reason in `error`) or FAILED (the sync could not
be requested, with the error); a PROCESSED or IGNORED event is never acted on twice.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from payymo.banking.repository import accounts as bank_accounts
from payymo.http import AppServices
from payymo.integrations.sync_all import live_connections
from payymo.logs import get_logger
from payymo.webhooks import repository
from payymo.webhooks.models import InboundProvider, WebhookEventStatus
from payymo.worker.enqueue import send
from payymo.worker.tasks import SYNC_BANK, SYNC_STRIPE, SYNC_WHMCS

log = get_logger(__name__)

STRIPE_SYNC_EVENTS = frozenset(
    {
        "payment_intent.succeeded",
        "charge.succeeded",
        "charge.refunded",
        "payout.paid",
        "payout.reconciliation_completed",
    }
)
WHMCS_SYNC_EVENTS = frozenset({"InvoiceCreated", "InvoicePaid", "InvoiceCancelled"})
# A GoCardless payout that was paid is money on its way into the bank account; the rest
# (mandates, payments collected into a later payout) changes nothing the bank sync would see.
GOCARDLESS_BANK_EVENTS = frozenset({"payouts.paid"})
SYNCS: dict[str, tuple[frozenset[str], str]] = {
    InboundProvider.STRIPE: (STRIPE_SYNC_EVENTS, SYNC_STRIPE),
    InboundProvider.WHMCS: (WHMCS_SYNC_EVENTS, SYNC_WHMCS),
    InboundProvider.GOCARDLESS: (GOCARDLESS_BANK_EVENTS, SYNC_BANK),
}
FINAL = (WebhookEventStatus.PROCESSED, WebhookEventStatus.IGNORED)


@dataclass(frozen=True)
class Tenant:
    """What decides an event's outcome, read once per batch."""

    whmcs_live: bool
    stripe_live: bool
    bank_accounts: tuple[str, ...]


@dataclass(frozen=True)
class Outcome:
    status: WebhookEventStatus
    task: str | None = None  # the sync to request
    ids: tuple[str, ...] = ()
    reason: str | None = None


@dataclass
class Plan:
    counts: Counter[str] = field(default_factory=Counter)
    syncs: dict[str, set[str]] = field(default_factory=dict)  # task -> its ids
    asked_by: dict[str, list[uuid.UUID]] = field(default_factory=dict)  # task -> event rows


def process_events(
    app: AppServices, *, tenant_id: uuid.UUID, event_ids: Sequence[uuid.UUID]
) -> dict[str, int]:
    """Act on each stored event at most once; counts by outcome (`skipped`: done before)."""
    tenant = _tenant(app, tenant_id)
    plan = Plan()
    with app.db.unit_of_work(tenant_id) as session:
        for event in repository.events_to_process(session, tenant_id, event_ids):
            if event.status in FINAL:
                plan.counts["skipped"] += 1
                continue
            outcome = outcome_of(event.provider, event.event_type, tenant)
            event.status, event.error = outcome.status, outcome.reason
            event.processed_at = app.clock.now()
            plan.counts[outcome.status.value] += 1
            if outcome.task is not None:
                plan.syncs.setdefault(outcome.task, set()).update(outcome.ids)
                plan.asked_by.setdefault(outcome.task, []).append(event.id)
    _request_syncs(app, tenant_id, plan)  # after the commit, as every task is sent
    return dict(plan.counts)


def outcome_of(provider: str, event_type: str, tenant: Tenant) -> Outcome:
    """What an event calls for, given what the tenant has connected."""
    events, task = SYNCS.get(provider, (frozenset(), ""))
    if event_type not in events:
        return _ignored(f"Payymo does not act on {provider} {event_type!r} events")
    if missing := _missing(task, tenant):
        return _ignored(missing)
    return Outcome(
        WebhookEventStatus.PROCESSED, task, tenant.bank_accounts if task == SYNC_BANK else ()
    )


def _missing(task: str, tenant: Tenant) -> str | None:
    """Why the sync cannot run for this tenant, if it cannot."""
    if task == SYNC_STRIPE and not tenant.stripe_live:
        return "Stripe is not connected"
    if task == SYNC_WHMCS and not tenant.whmcs_live:
        return "WHMCS is not connected"
    if task == SYNC_BANK and not tenant.bank_accounts:
        return "no connected bank account to sync"
    return None


def _request_syncs(app: AppServices, tenant_id: uuid.UUID, plan: Plan) -> None:
    """Send each sync once; if one cannot be sent, its events are FAILED and this task is
    retried (a FAILED event is acted on again)."""
    for task, ids in plan.syncs.items():
        try:
            send(task, tenant_id, sorted(ids))
        except Exception as exc:
            error = f"could not request {task}: {exc}"[:2000]
            log.error("webhook_sync_not_requested", task=task, error=error)
            with app.db.unit_of_work(tenant_id) as session:
                for event in repository.events_to_process(session, tenant_id, plan.asked_by[task]):
                    event.status, event.error = WebhookEventStatus.FAILED, error
            raise


def _ignored(reason: str) -> Outcome:
    return Outcome(WebhookEventStatus.IGNORED, reason=reason)


def _tenant(app: AppServices, tenant_id: uuid.UUID) -> Tenant:
    whmcs_live, stripe_live = live_connections(app, tenant_id=tenant_id)
    with app.db.unit_of_work(tenant_id) as session:
        accounts = bank_accounts(session, tenant_id)
        linked = tuple(str(a.id) for a in accounts if a.connection_id and a.is_active)
    return Tenant(whmcs_live=whmcs_live, stripe_live=stripe_live, bank_accounts=linked)
