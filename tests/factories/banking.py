"""Bank accounts and transactions for tests."""

from __future__ import annotations

import hashlib
import uuid
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from payymo.banking.models import AccountSource, BankAccount, BankTransaction, TransactionStatus


def bank_account(session: Session, *, tenant_id: uuid.UUID, **fields: Any) -> BankAccount:
    values: dict[str, Any] = {
        "source": AccountSource.GOCARDLESS,
        "provider_account_id": uuid.uuid4().hex,
        "name": "Main account",
        "currency": "EUR",
    }
    account = BankAccount(tenant_id=tenant_id, **{**values, **fields})
    session.add(account)
    session.flush()
    return account


def bank_transaction(session: Session, *, account: BankAccount, **fields: Any) -> BankTransaction:
    values: dict[str, Any] = {
        "provider_transaction_id": uuid.uuid4().hex,
        "status": TransactionStatus.BOOKED,
        "booking_date": date(2026, 11, 2),
        "transaction_date": date(2026, 11, 2),
        "amount_minor": 4500,
        "currency": account.currency,
        "remittance": "INV-1001",
    }
    merged = {**values, **fields}
    merged.setdefault(
        "content_hash", hashlib.sha256(repr(sorted(merged.items())).encode()).hexdigest()
    )
    transaction = BankTransaction(tenant_id=account.tenant_id, account_id=account.id, **merged)
    session.add(transaction)
    session.flush()
    return transaction
