"""Sending the outbox to WHMCS, each allocation exactly once.

A posting is claimed with a lease (IN_PROGRESS until `next_attempt_at`; POSTING_LEASE_SECONDS),
so two workers never post it at the same time and a crashed worker's claim expires. Before
paying, WHMCS is asked whether a payment with the posting's `transid` already exists: if the
worker crashed after WHMCS recorded the payment but before our commit, the retry finds it and
only marks the posting done. The invoice is re-checked too: no longer Unpaid, or owing less
than the posting, and the posting fails for a person to look at instead of paying.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from payymo.events.emit import emit
from payymo.events.models import EventType
from payymo.http import AppServices
from payymo.integrations.errors import ProviderError
from payymo.invoicing.connections import client_for, get_whmcs_connection
from payymo.invoicing.models import InvoiceStatus
from payymo.invoicing.whmcs import WhmcsClient
from payymo.money import Money
from payymo.reconciliation.models import (
    Allocation,
    Decision,
    DecisionStatus,
    Posting,
    PostingStatus,
)

MAX_BACKOFF = timedelta(hours=1)


@dataclass
class PostingRun:
    posted: int = 0
    already_there: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def post_due(app: AppServices, *, tenant_id: uuid.UUID, limit: int = 100) -> PostingRun:
    """Post every posting that is due (new, retry time reached, or an expired claim)."""
    connection = get_whmcs_connection(app, tenant_id=tenant_id)
    run = PostingRun()
    with client_for(app, connection) as client:
        for posting_id in _due(app, tenant_id, limit):
            if (claimed := _claim(app, tenant_id, posting_id)) is not None:
                _post_one(app, client, claimed, run)
    return run


def has_due(app: AppServices, *, tenant_id: uuid.UUID) -> bool:
    """Whether any posting is due now (the scheduler sends the post task only then)."""
    return bool(_due(app, tenant_id, 1))


def _due(app: AppServices, tenant_id: uuid.UUID, limit: int) -> list[uuid.UUID]:
    now = app.clock.now()
    retry_due = and_(
        Posting.status.in_([PostingStatus.FAILED, PostingStatus.IN_PROGRESS]),
        Posting.next_attempt_at.is_not(None),
        Posting.next_attempt_at <= now,
    )
    with app.db.unit_of_work(tenant_id) as session:
        return list(
            session.scalars(
                select(Posting.id)
                .where(
                    Posting.tenant_id == tenant_id,
                    or_(Posting.status == PostingStatus.PENDING, retry_due),
                )
                .order_by(Posting.created_at, Posting.id)
                .limit(limit)
            )
        )


def _claim(app: AppServices, tenant_id: uuid.UUID, posting_id: uuid.UUID) -> Posting | None:
    """Take the posting for this worker (committed at once); None if someone else has it."""
    now = app.clock.now()
    with app.db.unit_of_work(tenant_id) as session:
        posting = session.scalars(
            select(Posting)
            .where(Posting.tenant_id == tenant_id, Posting.id == posting_id)
            .with_for_update()
        ).one_or_none()
        if posting is None or not _is_due(posting, now):
            return None  # done, cancelled by an unmatch, or taken by another worker meanwhile
        lease = timedelta(seconds=app.settings.posting_lease_seconds)
        posting.status, posting.next_attempt_at = PostingStatus.IN_PROGRESS, now + lease
        posting.attempts += 1
        session.flush()
        session.expunge(posting)
        return posting


def _is_due(posting: Posting, now: datetime) -> bool:
    if posting.status is PostingStatus.PENDING:
        return True
    retryable = posting.status in (PostingStatus.FAILED, PostingStatus.IN_PROGRESS)
    return retryable and posting.next_attempt_at is not None and posting.next_attempt_at <= now


def _post_one(app: AppServices, client: WhmcsClient, posting: Posting, run: PostingRun) -> None:
    try:
        if client.get_transactions(transid=posting.transid):
            run.already_there += 1
            _finish(app, posting, PostingStatus.DONE)
            return
        invoice = client.get_invoice(posting.whmcs_invoice_id)
        owed = Money(invoice.balance, posting.currency).to_minor()
        if invoice.status is not InvoiceStatus.UNPAID or owed < posting.amount_minor:
            reason = (
                f"invoice {posting.whmcs_invoice_id} is {invoice.status.value} and owes "
                f"{Money.from_minor(owed, posting.currency)}: not posted, please review"
            )
            _fail(app, posting, run, reason, retry=False)
            return
        client.add_invoice_payment(
            invoice_id=posting.whmcs_invoice_id,
            transid=posting.transid,
            gateway=posting.gateway,
            paid_at=posting.payment_date,
            amount=Money.from_minor(posting.amount_minor, posting.currency).amount,
            fees=Money.from_minor(posting.fee_minor, posting.currency).amount or None,
        )
    except ProviderError as exc:
        _fail(app, posting, run, exc.message, retry=exc.retryable)
        return
    run.posted += 1
    _finish(app, posting, PostingStatus.DONE)


def _finish(app: AppServices, posting: Posting, status: PostingStatus) -> None:
    with app.db.unit_of_work(posting.tenant_id) as session:
        row = session.get(Posting, posting.id)
        if row is not None:
            row.status, row.posted_at = status, app.clock.now()
            row.next_attempt_at, row.last_error = None, None
            _tell_auto_posted(session, row)


def _tell_auto_posted(session: Session, posting: Posting) -> None:
    """`match.auto_posted`, once per decision the engine applied on its own."""
    allocation = session.get(Allocation, posting.allocation_id)
    decision = session.get(Decision, allocation.decision_id) if allocation else None
    if decision is None or decision.decided_by_id is not None:
        return
    if decision.status is not DecisionStatus.AUTO:
        return
    emit(
        session,
        tenant_id=posting.tenant_id,
        type=EventType.MATCH_AUTO_POSTED,
        key=f"match.auto_posted:{decision.id}",
        payload={
            "decision_id": str(decision.id),
            "bank_transaction_id": _str(decision.bank_transaction_id),
            "stripe_payment_id": _str(decision.stripe_payment_id),
            "whmcs_invoice_id": posting.whmcs_invoice_id,
            "transid": posting.transid,
            "amount": str(Money.from_minor(posting.amount_minor, posting.currency).amount),
            "currency": posting.currency,
        },
    )


def _str(value: uuid.UUID | None) -> str | None:
    return str(value) if value is not None else None


def _fail(app: AppServices, posting: Posting, run: PostingRun, reason: str, *, retry: bool) -> None:
    run.failed += 1
    run.errors.append(reason)
    backoff = min(timedelta(seconds=30) * 2 ** min(posting.attempts - 1, 10), MAX_BACKOFF)
    with app.db.unit_of_work(posting.tenant_id) as session:
        row = session.get(Posting, posting.id)
        if row is not None:
            row.status, row.last_error = PostingStatus.FAILED, reason[:2000]
            row.next_attempt_at = app.clock.now() + backoff if retry else None
            # Once per posting, however many retries fail after it.
            emit(
                session,
                tenant_id=row.tenant_id,
                type=EventType.POSTING_FAILED,
                key=f"posting.failed:{row.id}",
                payload={
                    "posting_id": str(row.id),
                    "whmcs_invoice_id": row.whmcs_invoice_id,
                    "transid": row.transid,
                    "amount": str(Money.from_minor(row.amount_minor, row.currency).amount),
                    "currency": row.currency,
                    "error": reason[:500],
                    "will_retry": retry,
                },
            )
