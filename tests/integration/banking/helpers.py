"""Helpers the banking sync tests share: running a sync and reading back what it stored."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from payymo.banking.models import BankAccount, BankCallLedger, ProviderCallScope
from payymo.banking.sync import sync_account
from payymo.jobs.models import JobRun
from tests.integration.banking.conftest import START, Bank

TODAY = START.date()


def sync(bank: Bank, account: BankAccount, **options: Any) -> Any:
    return sync_account(bank.app, tenant_id=bank.tenant_id, account_id=account.id, **options)


def seeded(bank: Bank, account: BankAccount) -> dict[str, Any]:
    found: dict[str, Any] = next(
        a for a in bank.sim.state()["accounts"] if a["id"] == account.provider_account_id
    )
    return found


def reload(bank: Bank, account: BankAccount) -> BankAccount:
    return next(a for a in bank.accounts() if a.id == account.id)


def jobs(bank: Bank) -> list[JobRun]:
    with bank.app.db.unit_of_work(bank.tenant_id) as session:
        return list(
            session.scalars(
                select(JobRun)
                .where(JobRun.tenant_id == bank.tenant_id, JobRun.kind == "bank_sync")
                .order_by(JobRun.created_at)
            )
        )


def transactions_calls(bank: Bank) -> int:
    return bank.transport.count("/transactions/")


def ledger_entry(bank: Bank, account: BankAccount) -> BankCallLedger:
    """The account's transactions entry for the ledger's latest day."""
    with bank.app.db.unit_of_work(bank.tenant_id) as session:
        return session.scalars(
            select(BankCallLedger)
            .where(
                BankCallLedger.tenant_id == bank.tenant_id,
                BankCallLedger.account_id == account.id,
                BankCallLedger.scope == ProviderCallScope.TRANSACTIONS,
            )
            .order_by(BankCallLedger.day.desc())
        ).first() or BankCallLedger(successes=0)
