"""Pending transactions: booked with other data, dropped by the bank, or still referred to."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from payymo.banking import ingest
from payymo.banking.ingest import UpsertCounts
from payymo.banking.models import BankAccount, BankTransaction, TransactionStatus
from payymo.banking.provider import ProviderTransaction, TransactionBatch
from payymo.money import Money
from payymo.reconciliation.models import Decision, DecisionStatus
from tests.integration.banking.conftest import Bank
from tests.integration.banking.helpers import TODAY, jobs, sync

ANA = {"amount": "42.50", "remittance": "INV-3001", "debtor_name": "Ana Costa", "pending": True}


def rows(bank: Bank, account: BankAccount, amount_minor: int) -> list[BankTransaction]:
    return [r for r in bank.transactions(account) if r.amount_minor == amount_minor]


def add_pending(bank: Bank, account: BankAccount, **entry: Any) -> str:
    (added,) = bank.sim.add(account.provider_account_id, {**ANA, **entry})
    internal_id: str = added["internal_id"]
    return internal_id


def decide(bank: Bank, tx: BankTransaction) -> uuid.UUID:
    with bank.app.db.unit_of_work(bank.tenant_id) as session:
        decision = Decision(
            tenant_id=bank.tenant_id, bank_transaction_id=tx.id, status=DecisionStatus.REVIEW
        )
        session.add(decision)
        session.flush()
        return decision.id


def test_a_pending_transaction_booked_with_other_text_and_date_updates_its_own_row(
    bank: Bank, eur: BankAccount
) -> None:
    internal_id = add_pending(bank, eur)
    sync(bank, eur)
    (pending,) = rows(bank, eur, 4250)

    bank.sim.book(
        internal_id,
        remittance="SEPA INV3001 ANA COSTA",
        debtor_name="COSTA ANA",
        value_date=(TODAY - timedelta(days=1)).isoformat(),
    )
    result = sync(bank, eur)
    (booked,) = rows(bank, eur, 4250)
    assert (result.added, result.updated) == (0, 1)
    assert result.retired == 0
    assert booked.id == pending.id
    assert booked.status is TransactionStatus.BOOKED
    assert (booked.remittance, booked.counterparty_name) == ("SEPA INV3001 ANA COSTA", "COSTA ANA")
    assert booked.provider_transaction_id == internal_id

    again = sync(bank, eur)
    assert (again.added, again.updated) == (0, 0)
    assert len(rows(bank, eur, 4250)) == 1


def test_a_booked_entry_that_could_be_either_of_two_pending_rows_claims_neither(
    bank: Bank, eur: BankAccount
) -> None:
    first = add_pending(bank, eur, remittance="INV-1")
    second = add_pending(bank, eur, remittance="INV-2")
    sync(bank, eur)
    bank.sim.book(first, remittance="INVOICE ONE")
    bank.sim.book(second, remittance="INVOICE TWO")

    result = sync(bank, eur)
    found = rows(bank, eur, 4250)
    assert sorted(r.remittance for r in found) == ["INVOICE ONE", "INVOICE TWO"]
    assert {r.status for r in found} == {TransactionStatus.BOOKED}
    assert (result.added, result.retired) == (2, 2)  # stored anew; the pending rows retired


def test_a_pending_transaction_the_bank_drops_is_deleted(bank: Bank, eur: BankAccount) -> None:
    internal_id = add_pending(bank, eur)
    before = sync(bank, eur)
    bank.sim.drop(internal_id)

    result = sync(bank, eur)
    assert rows(bank, eur, 4250) == []
    assert len(bank.transactions(eur)) == before.added - 1
    assert (result.added, result.retired, result.stale_pending) == (0, 1, 0)
    job_result = jobs(bank)[-1].result
    assert job_result is not None
    assert job_result["retired"] == 1


def test_a_dropped_pending_transaction_a_decision_refers_to_is_kept(
    bank: Bank, eur: BankAccount
) -> None:
    internal_id = add_pending(bank, eur)
    sync(bank, eur)
    (pending,) = rows(bank, eur, 4250)
    decision_id = decide(bank, pending)
    bank.sim.drop(internal_id)

    result = sync(bank, eur)
    assert (result.retired, result.stale_pending) == (0, 1)
    (kept,) = rows(bank, eur, 4250)
    assert (kept.id, kept.status) == (pending.id, TransactionStatus.PENDING)
    with bank.app.db.unit_of_work(bank.tenant_id) as session:
        query = select(Decision.id).where(Decision.tenant_id == bank.tenant_id)
        assert list(session.scalars(query)) == [decision_id]


def test_nothing_is_retired_while_a_pending_entry_is_unreadable(
    bank: Bank, eur: BankAccount
) -> None:
    internal_id = add_pending(bank, eur)
    sync(bank, eur)
    bank.sim.drop(internal_id)
    add_pending(bank, eur, raw_amount="42.505")  # perhaps the dropped one, changed

    result = sync(bank, eur)
    assert len(result.quarantined) == 1
    assert (result.retired, result.stale_pending) == (0, 0)
    assert [r.status for r in rows(bank, eur, 4250)] == [TransactionStatus.PENDING]


def test_a_bank_without_ids_that_books_a_pending_entry_with_other_text_stores_it_once(
    bank: Bank, eur: BankAccount
) -> None:
    pending = ProviderTransaction(
        status=TransactionStatus.PENDING,
        internal_id=None,
        transaction_id=None,
        booking_date=None,
        value_date=TODAY,
        amount=Money(Decimal("42.50"), "EUR"),
        counterparty_name="Ana Costa",
        counterparty_iban=None,
        remittance="INV-3001",
        end_to_end_id=None,
        bank_transaction_code=None,
    )
    booked = replace(
        pending, status=TransactionStatus.BOOKED, booking_date=TODAY, remittance="INV3001 ANA"
    )

    def store(*transactions: ProviderTransaction) -> UpsertCounts:
        with bank.app.db.unit_of_work(bank.tenant_id) as session:
            account = session.get(BankAccount, eur.id)
            assert account is not None
            batch = TransactionBatch(transactions)
            return ingest.store(session, account=account, batch=batch, today=TODAY)

    store(pending)
    first = store(booked)
    assert (first.added, first.updated, first.retired) == (0, 1, 0)
    again = store(booked)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 1)
    (row,) = rows(bank, eur, 4250)
    assert (row.status, row.remittance) == (TransactionStatus.BOOKED, "INV3001 ANA")
