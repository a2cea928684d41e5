"""Queries over bank accounts and transactions, always within one tenant."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Integer, Select, Uuid, bindparam, select, update
from sqlalchemy.orm import Session

from payymo.api.pagination import (
    PageQuery,
    decode_cursor,
    keyset_query,
    parse_date,
    parse_uuid,
    trim_page,
)
from payymo.banking.models import BankAccount, BankTransaction, TransactionStatus
from payymo.banking.schemas import TransactionFilters
from payymo.db import is_postgresql
from payymo.money import minor_digits, parse_amount
from payymo.reconciliation.models import Allocation, Decision
from payymo.text import ESCAPE, contains_pattern


class TransactionRow(NamedTuple):
    """A list row: every column but the raw provider payload, which is large JSON.

    A plain tuple, because a SQLAlchemy row's attribute lookups cost more than building it.
    """

    id: uuid.UUID
    account_id: uuid.UUID
    status: TransactionStatus
    transaction_date: date
    booking_date: date | None
    value_date: date | None
    amount_minor: int
    currency: str
    counterparty_name: str
    counterparty_iban: str | None
    remittance: str


# Table columns rather than mapped attributes: a select of them runs as Core, without the
# ORM's compile and row-loading steps, on the busiest read of the API.
_TX = BankTransaction.__table__.c
_ORDER = (_TX.transaction_date, _TX.id)
LIST_COLUMNS = tuple(_TX[name] for name in TransactionRow._fields)


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


# Each filter as a condition on bound parameters: a statement is then built (and its
# SQLAlchemy cache key computed) once per combination of filters, not once per request.
# The id parameters are typed by hand: a foreign key column takes its type from the column it
# references only once that table is defined, which may be after this module is imported, and
# an untyped UUID reaches SQLite unconverted.
_CONDITIONS: dict[str, ColumnElement[bool]] = {
    "tenant_id": _TX.tenant_id == bindparam("tenant_id", type_=Uuid()),
    "account_id": _TX.account_id == bindparam("account_id", type_=Uuid()),
    "status": _TX.status == bindparam("status"),
    "date_from": _TX.transaction_date >= bindparam("date_from"),
    "date_to": _TX.transaction_date <= bindparam("date_to"),
    "currency": _TX.currency == bindparam("currency"),
    "amount_min": _TX.amount_minor >= bindparam("amount_min"),
    "amount_max": _TX.amount_minor <= bindparam("amount_max"),
    "credit": _TX.amount_minor >= 0,
    "debit": _TX.amount_minor < 0,
    "q": _TX.search_text.like(bindparam("q"), escape=ESCAPE),
}


def _filters(tenant_id: uuid.UUID, f: TransactionFilters) -> tuple[tuple[str, ...], dict[str, Any]]:
    """The names of the conditions `f` calls for, and the values they bind."""
    values: dict[str, Any] = {"tenant_id": tenant_id}
    shape = ["tenant_id"]
    for name, value in (
        ("account_id", f.account_id),
        ("status", f.status),
        ("date_from", f.date_from),
        ("date_to", f.date_to),
        ("currency", f.currency.upper() if f.currency else None),
        ("amount_min", _minor(f.amount_min, f.currency) if f.amount_min is not None else None),
        ("amount_max", _minor(f.amount_max, f.currency) if f.amount_max is not None else None),
        ("q", contains_pattern(f.q) if f.q else None),
    ):
        if value is not None:
            shape.append(name)
            values[name] = value
    if f.direction is not None:
        shape.append(f.direction)
    return tuple(shape), values


def _where(columns: tuple[Any, ...], shape: tuple[str, ...]) -> Select[Any]:
    return select(*columns).where(*(_CONDITIONS[name] for name in shape))


def filtered(
    tenant_id: uuid.UUID, f: TransactionFilters, columns: tuple[Any, ...] = LIST_COLUMNS
) -> Select[Any]:
    """`columns` of the tenant's transactions that `f` selects."""
    shape, values = _filters(tenant_id, f)
    return _where(columns, shape).params(values)


def transaction_page(
    session: Session, tenant_id: uuid.UUID, f: TransactionFilters, page: PageQuery
) -> tuple[list[TransactionRow], str | None]:
    """A page of list rows, newest first."""
    shape, values = _filters(tenant_id, f)
    values["limit"] = page.limit + 1
    if page.cursor:
        values["after_date"], values["after_id"] = decode_cursor(
            page.cursor, (parse_date, parse_uuid)
        )
    statement = _page_statement(shape, after=bool(page.cursor))
    rows = [TransactionRow._make(row) for row in session.execute(statement, values)]
    return trim_page(rows, page.limit, lambda tx: (tx.transaction_date, tx.id))


@lru_cache(maxsize=256)
def _page_statement(shape: tuple[str, ...], *, after: bool) -> Select[Any]:
    return keyset_query(
        _where(LIST_COLUMNS, shape),
        order=_ORDER,
        after=(
            (
                bindparam("after_date", type_=_TX.transaction_date.type),
                bindparam("after_id", type_=_TX.id.type),
            )
            if after
            else None
        ),
        limit=bindparam("limit", type_=Integer(), literal_execute=True),
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
