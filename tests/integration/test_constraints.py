"""Keys that make ingestion and decisions idempotent hold on both SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from payymo.banking.models import BankTransaction, TransactionStatus
from payymo.db import Database
from payymo.reconciliation.models import Decision, DecisionStatus
from tests.factories.banking import bank_account, bank_transaction
from tests.factories.tenants import tenant


def test_the_same_provider_transaction_cannot_be_stored_twice(db: Database) -> None:
    owner = tenant(db)
    with db.unit_of_work(owner.id) as session:
        account = bank_account(session, tenant_id=owner.id)
        bank_transaction(session, account=account, provider_transaction_id="tx-1")
    with pytest.raises(IntegrityError), db.unit_of_work(owner.id) as session:
        bank_transaction(session, account=account, provider_transaction_id="tx-1")


def test_without_provider_ids_the_content_hash_is_the_key(db: Database) -> None:
    owner = tenant(db)
    with db.unit_of_work(owner.id) as session:
        account = bank_account(session, tenant_id=owner.id)
        bank_transaction(
            session,
            account=account,
            provider_transaction_id=None,
            content_hash="h1",
            status=TransactionStatus.PENDING,
        )
        bank_transaction(session, account=account, provider_transaction_id=None, content_hash="h2")
    with pytest.raises(IntegrityError), db.unit_of_work(owner.id) as session:
        bank_transaction(session, account=account, provider_transaction_id=None, content_hash="h1")


def test_two_accounts_may_carry_the_same_provider_id(db: Database) -> None:
    owner = tenant(db)
    with db.unit_of_work(owner.id) as session:
        first = bank_account(session, tenant_id=owner.id)
        second = bank_account(session, tenant_id=owner.id)
        bank_transaction(session, account=first, provider_transaction_id="same")
        bank_transaction(session, account=second, provider_transaction_id="same")
        count = sa.select(sa.func.count()).where(BankTransaction.tenant_id == owner.id)
        assert session.scalar(count) == 2


def test_a_transaction_has_at_most_one_current_decision(db: Database) -> None:
    owner = tenant(db)
    with db.unit_of_work(owner.id) as session:
        account = bank_account(session, tenant_id=owner.id)
        transaction = bank_transaction(session, account=account)
        session.add(_decision(owner.id, transaction.id, is_current=False))
        session.add(_decision(owner.id, transaction.id, is_current=True))
    with pytest.raises(IntegrityError), db.unit_of_work(owner.id) as session:
        session.add(_decision(owner.id, transaction.id, is_current=True))


def test_the_database_refuses_a_status_outside_the_enum(db: Database) -> None:
    owner = tenant(db)
    with db.unit_of_work(owner.id) as session:
        account = bank_account(session, tenant_id=owner.id)
        transaction = bank_transaction(session, account=account)
    statement = sa.text("UPDATE bank_transactions SET status = 'cleared' WHERE id = :id")
    statement = statement.bindparams(sa.bindparam("id", type_=sa.Uuid()))
    with pytest.raises(IntegrityError), db.unit_of_work(owner.id) as session:
        session.execute(statement, {"id": transaction.id})


def _decision(tenant_id: object, transaction_id: object, *, is_current: bool) -> Decision:
    return Decision(
        tenant_id=tenant_id,
        bank_transaction_id=transaction_id,
        status=DecisionStatus.REVIEW,
        is_current=is_current,
    )
