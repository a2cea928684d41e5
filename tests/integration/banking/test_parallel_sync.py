"""Parallel syncs of one account share its daily quota: on SQLite and PostgreSQL alike."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from payymo.banking import sync as bank_sync
from payymo.banking.models import BankAccount, BankTransaction
from payymo.banking.sync import SkipReason, SyncResult
from tests.integration.banking.conftest import Bank
from tests.integration.banking.helpers import ledger_entry, seeded, sync, transactions_calls

DAILY_LIMIT = 4  # the simulator's per-account, per-scope quota
SYNCS = 8


def in_parallel(
    bank: Bank, account: BankAccount, run: Callable[[], SyncResult]
) -> list[SyncResult]:
    """`run` SYNCS times at once, against a bank slow enough that all calls overlap."""
    path = f"accounts/{account.provider_account_id}/transactions/"
    bank.sim.fault("latency", path, seconds=0.2, times=None)
    start = threading.Barrier(SYNCS)

    def together() -> SyncResult:
        start.wait()
        return run()

    with ThreadPoolExecutor(SYNCS) as pool:
        return [future.result() for future in [pool.submit(together) for _ in range(SYNCS)]]


def skipped(results: list[SyncResult]) -> list[SkipReason | None]:
    return [r.skipped_reason for r in results if r.skipped_reason is not None]


def test_parallel_manual_syncs_never_call_the_bank_more_often_than_the_quota_allows(
    bank: Bank, eur: BankAccount
) -> None:
    expected = seeded(bank, eur)
    results = in_parallel(bank, eur, lambda: sync(bank, eur, manual=True))

    assert transactions_calls(bank) == DAILY_LIMIT
    assert bank.sim.quota_used(eur.provider_account_id) == DAILY_LIMIT
    assert skipped(results) == [SkipReason.QUOTA_EXHAUSTED] * (SYNCS - DAILY_LIMIT)
    assert ledger_entry(bank, eur).successes == DAILY_LIMIT
    assert sum(r.added for r in results) == expected["booked"] + expected["pending"]
    assert bank.count(BankTransaction) == expected["booked"] + expected["pending"]


def test_without_taking_turns_the_account_lock_alone_keeps_to_the_quota(
    bank: Bank, eur: BankAccount
) -> None:
    """As syncs in separate processes (web and worker) run: no in-process turn to wait for,
    only the database's lock on the account row (on SQLite, its single write lock)."""
    results = in_parallel(
        bank, eur, lambda: bank_sync._sync(bank.app, bank.tenant_id, eur.id, True)
    )

    assert transactions_calls(bank) == DAILY_LIMIT
    assert bank.sim.quota_used(eur.provider_account_id) == DAILY_LIMIT
    assert skipped(results) == [SkipReason.QUOTA_EXHAUSTED] * (SYNCS - DAILY_LIMIT)
    assert ledger_entry(bank, eur).successes == DAILY_LIMIT
