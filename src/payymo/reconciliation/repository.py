"""Queries the reconciliation service needs, always within one tenant."""

from __future__ import annotations

import uuid

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from payymo.banking.models import BankTransaction, TransactionStatus
from payymo.invoicing.models import Invoice
from payymo.payments.models import StripePayment, StripePayout
from payymo.reconciliation.models import (
    Allocation,
    Decision,
    DecisionState,
    DecisionStatus,
    Posting,
    PostingStatus,
)


def invoices(session: Session, tenant_id: uuid.UUID) -> list[Invoice]:
    return list(session.scalars(select(Invoice).where(Invoice.tenant_id == tenant_id)))


def booked_transactions(session: Session, tenant_id: uuid.UUID) -> list[BankTransaction]:
    return list(
        session.scalars(
            select(BankTransaction).where(
                BankTransaction.tenant_id == tenant_id,
                BankTransaction.status == TransactionStatus.BOOKED,
            )
        )
    )


def current_decisions(session: Session, tenant_id: uuid.UUID) -> dict[uuid.UUID, Decision]:
    """The live decision of each bank transaction that has one, locked for this run."""
    rows = session.scalars(
        select(Decision)
        .where(
            Decision.tenant_id == tenant_id,
            Decision.is_current.is_(True),
            Decision.bank_transaction_id.is_not(None),
        )
        .with_for_update()
    )
    return {d.bank_transaction_id: d for d in rows if d.bank_transaction_id is not None}


def open_review(tenant_id: uuid.UUID) -> Select[Decision]:
    """The review queue: current decisions a person has yet to settle."""
    return select(Decision).where(
        Decision.tenant_id == tenant_id,
        Decision.is_current.is_(True),
        Decision.status == DecisionStatus.REVIEW,
        Decision.state == DecisionState.PROPOSED,
    )


def open_review_count(session: Session, tenant_id: uuid.UUID) -> int:
    count = session.scalar(select(func.count()).select_from(open_review(tenant_id).subquery()))
    return count or 0


def allocations_of(
    session: Session, tenant_id: uuid.UUID, decision_id: uuid.UUID
) -> list[Allocation]:
    return list(
        session.scalars(
            select(Allocation).where(
                Allocation.tenant_id == tenant_id, Allocation.decision_id == decision_id
            )
        )
    )


def stripe_payments(session: Session, tenant_id: uuid.UUID) -> list[StripePayment]:
    return list(session.scalars(select(StripePayment).where(StripePayment.tenant_id == tenant_id)))


def stripe_payouts(session: Session, tenant_id: uuid.UUID) -> list[StripePayout]:
    """The tenant's payouts, locked: a run links them to bank credits."""
    return list(
        session.scalars(
            select(StripePayout).where(StripePayout.tenant_id == tenant_id).with_for_update()
        )
    )


def current_stripe_decisions(session: Session, tenant_id: uuid.UUID) -> dict[uuid.UUID, Decision]:
    """The live decision of each Stripe payment that has one, locked for this run."""
    rows = session.scalars(
        select(Decision)
        .where(
            Decision.tenant_id == tenant_id,
            Decision.is_current.is_(True),
            Decision.stripe_payment_id.is_not(None),
        )
        .with_for_update()
    )
    return {d.stripe_payment_id: d for d in rows if d.stripe_payment_id is not None}


def unsynced_claims(session: Session, tenant_id: uuid.UUID) -> dict[uuid.UUID, int]:
    """Minor units applied to each invoice that WHMCS's snapshot may not show yet.

    An applied allocation counts while its posting is on its way, and once posted until the
    invoice is next synced (a snapshot taken after the payment shows it in the balance).
    """
    rows = session.execute(
        select(Posting.amount_minor, Allocation.invoice_id)
        .join(Allocation, Allocation.id == Posting.allocation_id)
        .join(Invoice, Invoice.id == Allocation.invoice_id)
        .where(
            Posting.tenant_id == tenant_id,
            Posting.status != PostingStatus.CANCELLED,
            or_(
                Posting.status != PostingStatus.DONE,
                Invoice.synced_at.is_(None),
                Posting.posted_at > Invoice.synced_at,
            ),
        )
    )
    claims: dict[uuid.UUID, int] = {}
    for amount, invoice_id in rows:
        claims[invoice_id] = claims.get(invoice_id, 0) + amount
    return claims
