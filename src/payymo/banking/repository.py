"""Queries over bank accounts and transactions, always within one tenant."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, or_, select, update
from sqlalchemy.orm import Session

from payymo.api.pagination import PageQuery, keyset_page, parse_date, parse_uuid
from payymo.banking.models import BankAccount, BankTransaction
from payymo.banking.schemas import TransactionFilters
from payymo.db import is_postgresql
from payymo.money import minor_digits, parse_amount
from payymo.reconciliation.models import Allocation, Decision

_ORDER = (BankTransaction.transaction_date, BankTransaction.id)
# What a list row shows: everything but the raw provider payload, which is large JSON.
LIST_COLUMNS = (
    BankTransaction.id,
    BankTransaction.account_id,
    BankTransaction.status,
    BankTransaction.transaction_date,
    BankTransaction.booking_date,
    BankTransaction.value_date,
    BankTransaction.amount_minor,
    BankTransaction.currency,
    BankTransaction.counterparty_name,
    BankTransaction.counterparty_iban,
    BankTransaction.remittance,
)


def accounts(session: Session, tenant_id: uuid.UUID) -> list[BankAccount]:
    return list(
        session.scalars(
            select(BankAccount).where(BankAccount.tenant_id == tenant_id).order_by(BankAccount.name)
        )
    )


def account(session: Session, tenant_id: uuid.UUID, account_id: uuid.UUID) -> BankAccount | None:
    return session.scalars(
        select(BankAccount).where(BankAccount.tenant_id == tenant_id, BankAccount.id == account_id)
    ).one_or_none()


def locked_account(
    session: Session, tenant_id: uuid.UUID, account_id: uuid.UUID
) -> BankAccount | None:
    """The account, locked until the transaction ends: syncs of one account take turns.

    Call it first in the transaction. SQLite has no row locks and fails at once (no busy wait)
    when a transaction that has read tries to write after another wrote; a write as the first
    statement takes the database's write lock instead, waiting out the busy timeout.
    """
    mine = (BankAccount.tenant_id == tenant_id, BankAccount.id == account_id)
    if not is_postgresql(session):
        session.execute(
            update(BankAccount)
            .where(*mine)
            .values(updated_at=BankAccount.updated_at)
            .execution_options(synchronize_session=False)
        )
    # NO KEY UPDATE: rows that merely refer to the account (its transactions) are not held up.
    locked = select(BankAccount).where(*mine).with_for_update(key_share=True)
    return session.scalars(locked).one_or_none()


def transaction(session: Session, tenant_id: uuid.UUID, tx_id: uuid.UUID) -> BankTransaction | None:
    return session.scalars(
        select(BankTransaction).where(
            BankTransaction.tenant_id == tenant_id, BankTransaction.id == tx_id
        )
    ).one_or_none()


def _minor(amount: str, currency: str | None) -> int:
    # Without a currency the common two-decimal exponent is assumed (documented in the API).
    digits = minor_digits(currency) if currency else 2
    return int((parse_amount(amount) * Decimal(10) ** digits).to_integral_value())


def filtered(
    tenant_id: uuid.UUID, f: TransactionFilters, columns: tuple[Any, ...] = LIST_COLUMNS
) -> Select[Any]:
    tx = BankTransaction
    conditions: list[ColumnElement[bool]] = [tx.tenant_id == tenant_id]
    if f.account_id is not None:
        conditions.append(tx.account_id == f.account_id)
    if f.status is not None:
        conditions.append(tx.status == f.status)
    if f.date_from is not None:
        conditions.append(tx.transaction_date >= f.date_from)
    if f.date_to is not None:
        conditions.append(tx.transaction_date <= f.date_to)
    if f.currency is not None:
        conditions.append(tx.currency == f.currency.upper())
    if f.amount_min is not None:
        conditions.append(tx.amount_minor >= _minor(f.amount_min, f.currency))
    if f.amount_max is not None:
        conditions.append(tx.amount_minor <= _minor(f.amount_max, f.currency))
    if f.direction is not None:
        conditions.append(tx.amount_minor >= 0 if f.direction == "credit" else tx.amount_minor < 0)
    if f.q:
        pattern = f"%{f.q.replace('%', '').replace('_', '')}%"
        conditions.append(or_(tx.remittance.ilike(pattern), tx.counterparty_name.ilike(pattern)))
    return select(*columns).where(*conditions)


def transaction_page(
    session: Session, tenant_id: uuid.UUID, f: TransactionFilters, page: PageQuery
) -> tuple[list[Any], str | None]:
    """A page of light rows (the columns of `LIST_COLUMNS`), newest first."""
    return keyset_page(
        session,
        filtered(tenant_id, f),
        order=_ORDER,
        parsers=(parse_date, parse_uuid),
        key=lambda tx: (tx.transaction_date, tx.id),
        page=page,
    )


def iter_transactions(
    session: Session, tenant_id: uuid.UUID, f: TransactionFilters, batch: int = 1000
) -> Iterator[BankTransaction]:
    query = filtered(tenant_id, f, (BankTransaction,)).order_by(*(c.desc() for c in _ORDER))
    yield from session.scalars(query.execution_options(yield_per=batch))


def current_decision(
    session: Session, tenant_id: uuid.UUID, tx_id: uuid.UUID
) -> tuple[Decision, list[Allocation]] | None:
    decision = session.scalars(
        select(Decision).where(
            Decision.tenant_id == tenant_id,
            Decision.bank_transaction_id == tx_id,
            Decision.is_current.is_(True),
        )
    ).one_or_none()
    if decision is None:
        return None
    allocations = list(
        session.scalars(
            select(Allocation).where(
                Allocation.tenant_id == tenant_id, Allocation.decision_id == decision.id
            )
        )
    )
    return decision, allocations
