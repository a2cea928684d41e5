"""Reading bank accounts and transactions (ingestion arrives with the integrations)."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator

from payymo.api.pagination import PageQuery
from payymo.audit.services import Actor, record
from payymo.banking import repository
from payymo.banking.models import BankAccount, BankTransaction
from payymo.banking.schemas import TransactionFilters
from payymo.errors import NotFound
from payymo.http import AppServices
from payymo.money import Money
from payymo.reconciliation.models import Allocation, Decision

CSV_COLUMNS = (
    "id",
    "account_id",
    "status",
    "transaction_date",
    "booking_date",
    "value_date",
    "amount",
    "currency",
    "counterparty_name",
    "remittance",
)


def list_accounts(app: AppServices, *, tenant_id: uuid.UUID) -> list[BankAccount]:
    with app.db.unit_of_work(tenant_id) as session:
        return repository.accounts(session, tenant_id)


def get_account(
    app: AppServices, *, tenant_id: uuid.UUID, account_id: uuid.UUID, reveal_by: Actor | None = None
) -> BankAccount:
    """One account; `reveal_by` records in the audit log who saw the full IBAN."""
    with app.db.unit_of_work(tenant_id) as session:
        account = repository.account(session, tenant_id, account_id)
        if account is None:
            raise NotFound(detail="no such bank account")
        if reveal_by is not None:
            record(
                session,
                tenant_id=tenant_id,
                actor=reveal_by,
                action="bank_account.iban_revealed",
                object_type="bank_account",
                object_id=account.id,
            )
        return account


def list_transactions(
    app: AppServices, *, tenant_id: uuid.UUID, filters: TransactionFilters, page: PageQuery
) -> tuple[list[repository.TransactionRow], str | None]:
    """A keyset page of the tenant's transactions, newest first, and the next cursor."""
    with app.db.unit_of_work(tenant_id) as session:
        return repository.transaction_page(session, tenant_id, filters, page)


def get_transaction(
    app: AppServices, *, tenant_id: uuid.UUID, transaction_id: uuid.UUID
) -> tuple[BankTransaction, tuple[Decision, list[Allocation]] | None]:
    """A transaction with its current decision and allocations, if it has one."""
    with app.db.unit_of_work(tenant_id) as session:
        tx = repository.transaction(session, tenant_id, transaction_id)
        if tx is None:
            raise NotFound(detail="no such transaction")
        return tx, repository.current_decision(session, tenant_id, tx.id)


def export_csv(
    app: AppServices, *, tenant_id: uuid.UUID, filters: TransactionFilters
) -> Iterator[str]:
    """The filtered transactions as CSV lines, streamed in batches."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    yield _drain(buffer)
    with app.db.unit_of_work(tenant_id) as session:
        for tx in repository.iter_transactions(session, tenant_id, filters):
            writer.writerow(
                (
                    tx.id,
                    tx.account_id,
                    tx.status.value,
                    tx.transaction_date,
                    tx.booking_date or "",
                    tx.value_date or "",
                    Money.from_minor(tx.amount_minor, tx.currency).format(),
                    tx.currency,
                    _safe(tx.counterparty_name),
                    _safe(tx.remittance),
                )
            )
            yield _drain(buffer)


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def _safe(text: str) -> str:
    """Neutralise spreadsheet formulas in free text (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
