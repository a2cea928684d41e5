"""Pulling a tenant's Stripe payments, payouts and balance transactions into Payymo.

Everything is fetched first and then stored in one transaction, so a failed sync stores nothing
and the next one starts from the same point. Each sync re-reads from a day before the last one
(objects change shortly after creation: fees settle, refunds arrive) and re-reads payouts until
Stripe has finished reconciling them. Only ids, amounts and chosen metadata are kept.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from payymo.errors import NotFound
from payymo.http import AppServices
from payymo.integrations.errors import ProviderAuthError, ProviderError
from payymo.invoicing.models import ConnectionStatus
from payymo.jobs.runner import track_job
from payymo.logs import get_logger
from payymo.payments import stripe_objects
from payymo.payments.connections import client_for, find_connection
from payymo.payments.models import (
    StripeBalanceTransaction,
    StripeConnection,
    StripePayment,
    StripePayout,
)
from payymo.payments.stripe_client import StripeApiClient
from payymo.payments.stripe_objects import Values

OVERLAP = timedelta(days=1)
STEPS = 4  # charges, refunds, payouts with their transactions, storing
# Payouts whose money or contents can still change, so they are fetched again.
UNSETTLED_STATUSES = ("pending", "in_transit")
_IN_CHUNK = 500  # ids per IN (...) query, well under SQLite's parameter limit

Progress = Callable[[int, int], None]
RowT = TypeVar("RowT", StripePayment, StripePayout, StripeBalanceTransaction)
log = get_logger("payymo.payments.sync")


@dataclass(frozen=True)
class StripeSyncResult:
    """What one sync changed, by object type; `since` is where it started reading."""

    since: datetime | None
    payments_added: int = 0
    payments_updated: int = 0
    payments_paid_out: int = 0  # payments newly linked to the payout that paid them out
    payouts_added: int = 0
    payouts_updated: int = 0
    balance_transactions_added: int = 0
    balance_transactions_updated: int = 0

    def as_dict(self) -> dict[str, Any]:
        values = asdict(self)
        values["since"] = self.since.isoformat() if self.since else None
        return values


@dataclass
class _Fetched:
    """What Stripe sent, as column values keyed by Stripe id."""

    payments: dict[str, Values] = field(default_factory=dict)
    payouts: dict[str, Values] = field(default_factory=dict)
    transactions: dict[str, Values] = field(default_factory=dict)
    # Payments seen only as a payout's sources: stored if unknown, never used to overwrite.
    sourced: dict[str, Values] = field(default_factory=dict)
    paid_out: dict[str, str] = field(default_factory=dict)  # charge id -> payout id


@dataclass(frozen=True)
class _Plan:
    connection: StripeConnection
    since: datetime | None
    payouts_since: datetime | None


def sync_stripe(
    app: AppServices, *, tenant_id: uuid.UUID, progress: Progress | None = None
) -> StripeSyncResult:
    """Fetch what changed in the tenant's Stripe account since the last sync, and store it."""
    with track_job(app, tenant_id=tenant_id, kind="stripe_sync") as job:

        def step(done: int) -> None:
            job.progress(done, STEPS)
            if progress:
                progress(done, STEPS)

        started = app.clock.now()
        plan = _plan(app, tenant_id)
        try:
            with client_for(app, plan.connection) as client:
                fetched = _fetch(client, plan, step)
            result = _store(app, tenant_id, plan, fetched, started)
        except ProviderError as exc:
            _record_failure(app, tenant_id, exc)
            raise
        step(STEPS)
        job.result = result.as_dict()
        log.info("stripe sync finished", tenant_id=str(tenant_id), **job.result)
        return result


def _plan(app: AppServices, tenant_id: uuid.UUID) -> _Plan:
    with app.db.unit_of_work(tenant_id) as session:
        connection = find_connection(session, tenant_id)
        if connection is None or connection.status == ConnectionStatus.DISCONNECTED:
            raise NotFound(detail="Stripe is not connected")
        since = connection.last_synced_at - OVERLAP if connection.last_synced_at else None
        unsettled = session.scalar(
            select(func.min(StripePayout.created_at_provider)).where(
                StripePayout.tenant_id == tenant_id,
                or_(
                    StripePayout.status.in_(UNSETTLED_STATUSES),
                    StripePayout.reconciliation_status == "in_progress",
                ),
            )
        )
        payouts_since = min(since, unsettled) if since and unsettled else since
        return _Plan(connection, since, payouts_since)


def _fetch(client: StripeApiClient, plan: _Plan, step: Callable[[int], None]) -> _Fetched:
    fetched = _Fetched()
    for charge in client.iter_charges(created_gte=plan.since):
        stripe_objects.add_payment(fetched.payments, charge)
    step(1)
    # A refund changes a charge that may be older than `since`: it comes with the refund.
    for refund in client.iter_refunds(created_gte=plan.since):
        if refund.get("charge") is not None:  # refunds of other payment kinds have none
            refunded = stripe_objects.expanded(refund["charge"], "refund.charge")
            stripe_objects.add_payment(fetched.payments, refunded)
    step(2)
    for payout in client.iter_payouts(created_gte=plan.payouts_since):
        values = stripe_objects.payout_values(payout)
        fetched.payouts[values["stripe_id"]] = values
        if values["automatic"]:  # Stripe filters balance transactions by automatic payouts only
            _fetch_payout_contents(client, values["stripe_id"], fetched)
    step(3)
    return fetched


def _fetch_payout_contents(client: StripeApiClient, payout_id: str, fetched: _Fetched) -> None:
    for txn in client.iter_balance_transactions(payout=payout_id):
        values = stripe_objects.transaction_values(txn, payout_id)
        fetched.transactions[values["stripe_id"]] = values
        source = txn.get("source")
        if isinstance(source, Mapping) and source.get("object") == "charge":
            fetched.paid_out[stripe_objects.string(source, "id")] = payout_id
            stripe_objects.add_payment(fetched.sourced, source, txn=txn)


def _store(
    app: AppServices, tenant_id: uuid.UUID, plan: _Plan, fetched: _Fetched, started: datetime
) -> StripeSyncResult:
    with app.db.unit_of_work(tenant_id) as session:
        connection = find_connection(session, tenant_id, lock=True)
        if connection is None or connection.status == ConnectionStatus.DISCONNECTED:
            raise NotFound(detail="Stripe was disconnected during the sync")
        scope = (session, tenant_id, connection.id)
        payments = _upsert(*scope, StripePayment, fetched.payments)
        unknown = {k: v for k, v in fetched.sourced.items() if k not in fetched.payments}
        sourced = _upsert(*scope, StripePayment, unknown, update=False)
        payouts = _upsert(*scope, StripePayout, fetched.payouts)
        transactions = _upsert(*scope, StripeBalanceTransaction, fetched.transactions)
        linked = _link_payouts(session, tenant_id, fetched.paid_out)
        connection.last_synced_at = started
        connection.last_error = None
        connection.status = ConnectionStatus.ACTIVE
    return StripeSyncResult(
        since=plan.since,
        payments_added=payments[0] + sourced[0],
        payments_updated=payments[1],
        payments_paid_out=linked,
        payouts_added=payouts[0],
        payouts_updated=payouts[1],
        balance_transactions_added=transactions[0],
        balance_transactions_updated=transactions[1],
    )


def _upsert(
    session: Session,
    tenant_id: uuid.UUID,
    connection_id: uuid.UUID,
    model: type[RowT],
    rows: Mapping[str, Values],
    *,
    update: bool = True,
) -> tuple[int, int]:
    """Insert new rows and update changed ones; (added, updated)."""
    existing = {row.stripe_id: row for row in _by_stripe_id(session, tenant_id, model, rows)}
    added = updated = 0
    for stripe_id, values in rows.items():
        row = existing.get(stripe_id)
        if row is None:
            session.add(model(tenant_id=tenant_id, connection_id=connection_id, **values))
            added += 1
        elif update and _apply_changes(row, values):
            updated += 1
    return added, updated


def _by_stripe_id(
    session: Session, tenant_id: uuid.UUID, model: type[RowT], ids: Iterable[str]
) -> list[RowT]:
    wanted, found = sorted(ids), list[RowT]()
    for start in range(0, len(wanted), _IN_CHUNK):
        chunk = wanted[start : start + _IN_CHUNK]
        query = select(model).where(model.tenant_id == tenant_id, model.stripe_id.in_(chunk))
        found.extend(session.scalars(query))
    return found


def _apply_changes(row: Any, values: Values) -> bool:
    """Set the values that differ; whether any did."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def _link_payouts(session: Session, tenant_id: uuid.UUID, paid_out: dict[str, str]) -> int:
    """Mark payments with the payout that paid them out; how many changed."""
    wanted, linked = sorted(paid_out), 0
    for start in range(0, len(wanted), _IN_CHUNK):
        query = select(StripePayment).where(
            StripePayment.tenant_id == tenant_id,
            StripePayment.charge_id.in_(wanted[start : start + _IN_CHUNK]),
        )
        for payment in session.scalars(query):
            linked += _apply_changes(payment, {"payout_id": paid_out[payment.charge_id or ""]})
    return linked


def _record_failure(app: AppServices, tenant_id: uuid.UUID, exc: ProviderError) -> None:
    with app.db.unit_of_work(tenant_id) as session:
        connection = find_connection(session, tenant_id)
        if connection is not None:
            connection.last_error = exc.message
            if isinstance(exc, ProviderAuthError):
                connection.status = ConnectionStatus.ERROR
    log.warning("stripe sync failed", tenant_id=str(tenant_id), error=exc.message)
