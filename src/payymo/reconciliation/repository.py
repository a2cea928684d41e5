"""Queries the reconciliation service needs, always within one tenant."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from payymo.banking.models import BankTransaction, TransactionStatus
from payymo.invoicing.models import Invoice
from payymo.reconciliation.models import Allocation, Decision


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
