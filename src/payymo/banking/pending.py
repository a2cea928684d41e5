"""Pending transactions: finding the row a booked entry books, and retiring those that vanish.

Banks often book a pending transaction with other text or another value date, so its content
hash changes. A booked entry that matched nothing may claim a stored pending row of the same
amount and currency a few days from it, but only when the pairing is unambiguous: exactly one
such row for the entry, and no other entry wanting that row.

A pending row the bank no longer lists (cancelled, or booked beyond recognition) is retired
after each complete fetch: deleted if nothing refers to it. One a reconciliation decision or a
Stripe payout refers to is kept, as pending, and counted as stale: deleting it would delete the
decision's history with it (ON DELETE CASCADE). Marking such rows as withdrawn needs a new
`TransactionStatus` value, a schema change this module does not make.
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from payymo.banking.models import BankAccount, BankTransaction, TransactionStatus
from payymo.banking.provider import ProviderTransaction
from payymo.payments.models import StripePayout
from payymo.reconciliation.models import Decision

# How far a booked entry's dates may sit from the pending row's value date.
BOOKING_DRIFT = timedelta(days=4)


def claim_rebooked(
    session: Session,
    account: BankAccount,
    booked: list[ProviderTransaction],
    claimed: set[uuid.UUID],
) -> list[BankTransaction | None]:
    """For each booked entry, the one unclaimed pending row it must be (None: none or unsure)."""
    rows = [row for row in _pending_rows(session, account) if row.id not in claimed]
    candidates = [[row for row in rows if _could_book(row, tx)] for tx in booked]
    wanted = Counter(row.id for found in candidates for row in found)
    return [
        found[0] if len(found) == 1 and wanted[found[0].id] == 1 else None for found in candidates
    ]


def retire_stale(session: Session, account: BankAccount, listed: set[uuid.UUID]) -> tuple[int, int]:
    """Retire the account's pending rows not in `listed`: (deleted, kept because referred to)."""
    # Locked first, so a decision cannot come to refer to a row between the check and the delete.
    stale = [row for row in _pending_rows(session, account, lock=True) if row.id not in listed]
    if not stale:
        return 0, 0
    referred = _referred(session, account, [row.id for row in stale])
    doomed = [row for row in stale if row.id not in referred]
    for row in doomed:
        session.delete(row)
    session.flush()
    return len(doomed), len(stale) - len(doomed)


def _could_book(row: BankTransaction, tx: ProviderTransaction) -> bool:
    if row.amount_minor != tx.amount.to_minor() or row.currency != tx.amount.currency:
        return False
    seen = row.value_date or row.transaction_date
    days = (day for day in (tx.value_date, tx.booking_date) if day is not None)
    return any(abs(day - seen) <= BOOKING_DRIFT for day in days)


def _pending_rows(
    session: Session, account: BankAccount, *, lock: bool = False
) -> list[BankTransaction]:
    query = select(BankTransaction).where(
        BankTransaction.tenant_id == account.tenant_id,
        BankTransaction.account_id == account.id,
        BankTransaction.status == TransactionStatus.PENDING,
    )
    return list(session.scalars(query.with_for_update() if lock else query))


def _referred(session: Session, account: BankAccount, ids: list[uuid.UUID]) -> set[uuid.UUID]:
    by_decision = select(Decision.bank_transaction_id).where(
        Decision.tenant_id == account.tenant_id, Decision.bank_transaction_id.in_(ids)
    )
    by_payout = select(StripePayout.bank_transaction_id).where(
        StripePayout.tenant_id == account.tenant_id, StripePayout.bank_transaction_id.in_(ids)
    )
    found = set(session.scalars(by_decision)) | set(session.scalars(by_payout))
    return {row_id for row_id in found if row_id is not None}
