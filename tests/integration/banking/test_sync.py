"""Bank sync against the simulator, on SQLite and on PostgreSQL under row-level security."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from payymo.banking.connections import get_connection
from payymo.banking.models import (
    BankAccount,
    BankTransaction,
    TransactionStatus,
)
from payymo.banking.sync import SkipReason, sync_tenant
from payymo.integrations.errors import ProviderBadResponse, ProviderUnavailable
from payymo.invoicing.models import ConnectionStatus
from payymo.jobs.models import JobStatus
from tests.integration.banking.conftest import Bank
from tests.integration.banking.helpers import (
    TODAY,
    jobs,
    ledger_entry,
    reload,
    seeded,
    sync,
    transactions_calls,
)


def test_the_first_sync_stores_every_seeded_transaction(bank: Bank, eur: BankAccount) -> None:
    expected = seeded(bank, eur)
    result = sync(bank, eur)
    assert (result.added, result.updated, result.unchanged) == (
        expected["booked"] + expected["pending"],
        0,
        0,
    )
    assert (result.date_from, result.date_to) == (TODAY - timedelta(days=90), TODAY)
    assert result.skipped_reason is None

    rows = bank.transactions(eur)
    assert sorted(r.remittance for r in rows) == sorted(
        t["remittance"] for t in expected["transactions"]
    )
    total = sum(Decimal(t["amount"]) for t in expected["transactions"])
    assert sum(r.amount_minor for r in rows) == int(total * 100)
    pending = [r for r in rows if r.status is TransactionStatus.PENDING]
    assert len(pending) == expected["pending"]
    assert all(r.provider_transaction_id is None and r.booking_date is None for r in pending)
    assert all(r.transaction_date == r.value_date for r in pending)
    booked = [r for r in rows if r.status is TransactionStatus.BOOKED]
    assert all(r.provider_transaction_id == r.raw["internalTransactionId"] for r in booked)
    assert all(r.transaction_date == r.booking_date for r in booked)
    credit = next(r for r in booked if r.amount_minor > 0)
    assert credit.counterparty_name == credit.raw["debtorName"]

    stored = reload(bank, eur)
    assert (stored.synced_through, stored.last_synced_at) == (TODAY, bank.api.clock.now())
    (job,) = jobs(bank)
    assert job.status is JobStatus.SUCCEEDED
    assert job.result is not None
    assert job.result["added"] == result.added


def test_syncing_the_same_window_again_adds_nothing(bank: Bank, eur: BankAccount) -> None:
    first = sync(bank, eur)
    again = sync(bank, eur)
    assert (again.added, again.updated) == (0, 0)
    assert again.unchanged > 0
    assert again.date_from == TODAY - timedelta(days=3)  # the overlap before synced_through
    assert len(bank.transactions(eur)) == first.added


def test_a_pending_transaction_that_books_later_ends_as_one_booked_row(
    bank: Bank, eur: BankAccount
) -> None:
    (added,) = bank.sim.add(
        eur.provider_account_id,
        {"amount": "42.50", "remittance": "INV-2001", "debtor_name": "Ana Costa", "pending": True},
    )
    sync(bank, eur)
    (row,) = [r for r in bank.transactions(eur) if r.remittance == "INV-2001"]
    assert (row.status, row.provider_transaction_id) == (TransactionStatus.PENDING, None)

    bank.sim.book(added["internal_id"])
    result = sync(bank, eur)
    assert (result.added, result.updated) == (0, 1)
    (booked,) = [r for r in bank.transactions(eur) if r.remittance == "INV-2001"]
    assert booked.id == row.id
    assert booked.status is TransactionStatus.BOOKED
    assert booked.provider_transaction_id == added["internal_id"]
    assert (booked.booking_date, booked.amount_minor) == (TODAY, 4250)


def test_reissued_ids_are_recognised_by_content_and_not_duplicated(
    bank: Bank, eur: BankAccount
) -> None:
    first = sync(bank, eur)
    before = {r.id: r.provider_transaction_id for r in bank.transactions(eur)}
    bank.sim.reissue_ids()
    result = sync(bank, eur)
    assert result.added == 0
    assert result.updated > 0
    after = {r.id: r.provider_transaction_id for r in bank.transactions(eur)}
    assert after.keys() == before.keys()
    assert len(after) == first.added
    assert sum(after[key] != before[key] for key in after) == result.updated


def test_two_identical_transfers_on_one_day_stay_two_rows(bank: Bank, eur: BankAccount) -> None:
    twin = {"amount": "10.00", "remittance": "TWIN", "debtor_name": "Bo Li", "pending": True}
    added = bank.sim.add(eur.provider_account_id, twin, twin)
    sync(bank, eur)
    sync(bank, eur)
    assert len([r for r in bank.transactions(eur) if r.remittance == "TWIN"]) == 2

    for entry in added:
        bank.sim.book(entry["internal_id"])
    result = sync(bank, eur)
    assert (result.added, result.updated) == (0, 2)
    twins = [r for r in bank.transactions(eur) if r.remittance == "TWIN"]
    assert {r.status for r in twins} == {TransactionStatus.BOOKED}
    assert {r.provider_transaction_id for r in twins} == {e["internal_id"] for e in added}


def test_after_the_daily_quota_the_sync_is_skipped_without_calling_the_bank(
    bank: Bank, eur: BankAccount
) -> None:
    for _ in range(3):  # 4 a day, 1 kept back for manual syncs
        assert sync(bank, eur).skipped_reason is None
    midnight = datetime(2026, 11, 27, tzinfo=UTC)
    skipped = sync(bank, eur)
    assert skipped.skipped_reason is SkipReason.QUOTA_EXHAUSTED
    assert skipped.next_allowed_at == midnight
    assert reload(bank, eur).next_sync_allowed_at == midnight
    assert (transactions_calls(bank), bank.sim.quota_used(eur.provider_account_id)) == (3, 3)

    assert sync(bank, eur, manual=True).skipped_reason is None  # the reserve
    assert sync(bank, eur, manual=True).skipped_reason is SkipReason.QUOTA_EXHAUSTED
    assert (transactions_calls(bank), bank.sim.quota_used(eur.provider_account_id)) == (4, 4)

    bank.advance(hours=15, minutes=1)
    assert sync(bank, eur).skipped_reason is None


def test_a_quota_429_stops_the_sync_until_midnight_and_a_later_sync_fetches_the_same_window(
    bank: Bank, eur: BankAccount
) -> None:
    sync(bank, eur)
    bank.advance(days=5)
    late = {
        "amount": "77.00",
        "remittance": "LATE-1",
        "debtor_name": "Cy",
        "booking_date": "2026-11-28",
    }
    bank.sim.add(eur.provider_account_id, late)
    bank.sim.spend_quota(eur.provider_account_id)  # calls Payymo's ledger does not know of

    limited = sync(bank, eur)
    assert limited.skipped_reason is SkipReason.RATE_LIMITED
    assert limited.date_from == TODAY - timedelta(days=3)
    assert limited.next_allowed_at is not None
    midnight = datetime(2026, 12, 2, tzinfo=UTC)
    assert abs(limited.next_allowed_at - midnight) < timedelta(seconds=30)
    stored = reload(bank, eur)
    assert (stored.synced_through, stored.next_sync_allowed_at) == (TODAY, limited.next_allowed_at)
    assert not [r for r in bank.transactions(eur) if r.remittance == "LATE-1"]
    assert bank.retry_sleeps == []  # a long rate limit is recorded, not waited out
    assert ledger_entry(bank, eur).successes == 0  # the refused call is not counted

    calls = transactions_calls(bank)
    blocked = sync(bank, eur)
    assert blocked.skipped_reason is SkipReason.RATE_LIMITED
    assert transactions_calls(bank) == calls
    assert ledger_entry(bank, eur).blocked_until == limited.next_allowed_at

    bank.advance(hours=16)
    later = sync(bank, eur)
    assert later.skipped_reason is None
    assert later.date_from == limited.date_from  # no gap left behind
    assert [r.booking_date for r in bank.transactions(eur) if r.remittance == "LATE-1"] == [
        date(2026, 11, 28)
    ]


def test_a_short_429_while_calls_are_left_blocks_the_account_for_seconds_not_until_midnight(
    bank: Bank, eur: BankAccount
) -> None:
    bank.advance(seconds=30)  # mid-minute on both clocks: the per-minute limit resets in ~30 s
    # Injected for every attempt: a limit that resets in under 5 s would be waited out.
    bank.sim.fault("rate_limit", f"accounts/{eur.provider_account_id}/transactions/", times=3)
    limited = sync(bank, eur)
    bank.sim.clear_faults()
    assert limited.skipped_reason is SkipReason.RATE_LIMITED
    assert limited.next_allowed_at is not None
    now = bank.api.clock.now()
    assert now < limited.next_allowed_at <= now + timedelta(seconds=60)
    assert reload(bank, eur).next_sync_allowed_at == limited.next_allowed_at
    assert sync(bank, eur).skipped_reason is SkipReason.RATE_LIMITED  # still blocked

    bank.advance(seconds=61)
    later = sync(bank, eur)
    assert later.skipped_reason is None
    assert later.added > 0
    assert ledger_entry(bank, eur).successes == 1  # only the call that succeeded


def test_persistent_server_errors_fail_the_job_and_keep_stored_rows(
    bank: Bank, eur: BankAccount
) -> None:
    first = sync(bank, eur)
    bank.sim.fault("error", "accounts/", status=500, times=None)
    with pytest.raises(ProviderUnavailable):
        sync(bank, eur)
    failed = jobs(bank)[-1]
    assert failed.status is JobStatus.FAILED
    assert failed.error is not None
    assert "500" in failed.error
    assert len(bank.retry_sleeps) == 2
    assert len(bank.transactions(eur)) == first.added
    assert reload(bank, eur).synced_through == TODAY


def test_a_body_that_is_not_json_fails_the_sync_stores_nothing_and_is_counted(
    bank: Bank, eur: BankAccount
) -> None:
    bank.sim.fault("malformed", f"accounts/{eur.provider_account_id}/transactions/")
    with pytest.raises(ProviderBadResponse):
        sync(bank, eur)
    assert bank.count(BankTransaction) == 0
    assert reload(bank, eur).synced_through is None
    (job,) = jobs(bank)
    assert job.status is JobStatus.FAILED
    assert job.error is not None
    assert "not JSON" in job.error
    assert ledger_entry(bank, eur).successes == 1  # a 2xx: the bank counted it


def test_a_malformed_entry_is_quarantined_the_rest_stored_and_the_call_counted(
    bank: Bank, eur: BankAccount
) -> None:
    expected = seeded(bank, eur)
    good = {"amount": "12.00", "remittance": "GOOD-1", "debtor_name": "Di"}
    bad = {"raw_amount": "12.345", "remittance": "BAD-1", "debtor_name": "Ed"}
    _, added_bad = bank.sim.add(eur.provider_account_id, good, bad)

    result = sync(bank, eur)
    assert result.skipped_reason is None
    assert result.added == expected["booked"] + expected["pending"] + 1
    remittances = {r.remittance for r in bank.transactions(eur)}
    assert "GOOD-1" in remittances
    assert "BAD-1" not in remittances
    (quarantined,) = result.quarantined
    assert quarantined.status is TransactionStatus.BOOKED
    assert quarantined.provider_id == added_bad["internal_id"]
    assert "amount" in quarantined.reason
    (job,) = jobs(bank)
    assert job.status is JobStatus.SUCCEEDED
    assert job.result is not None
    assert job.result["quarantined"] == [quarantined.as_dict()]
    entry = ledger_entry(bank, eur)
    assert (entry.successes, entry.limit) == (1, 4)
    assert reload(bank, eur).synced_through == TODAY  # one bad entry does not hold the rest back


def test_an_expired_consent_marks_the_connection_expired_and_stops_calling(
    bank: Bank, eur: BankAccount
) -> None:
    requisition_id = bank.sim.state()["requisitions"][0]["id"]
    bank.sim.force_status(requisition_id, "EX")
    assert sync(bank, eur).skipped_reason is SkipReason.ACCESS_EXPIRED
    assert eur.connection_id is not None
    found = get_connection(bank.app, tenant_id=bank.tenant_id, connection_id=eur.connection_id)
    assert found.status is ConnectionStatus.EXPIRED
    assert found.last_error is not None
    assert "expired" in found.last_error

    calls = transactions_calls(bank)
    assert sync(bank, eur).skipped_reason is SkipReason.CONNECTION_INACTIVE
    assert transactions_calls(bank) == calls


def test_syncing_a_tenant_syncs_every_account_and_reports_progress(
    bank: Bank, eur: BankAccount
) -> None:
    seen: list[tuple[int, int]] = []
    results = sync_tenant(
        bank.app, tenant_id=bank.tenant_id, progress=lambda done, total: seen.append((done, total))
    )
    assert seen == [(1, 2), (2, 2)]
    assert {r.account_id for r in results} == {a.id for a in bank.accounts()}
    assert sum(r.added for r in results) == bank.count(BankTransaction)
    assert [j.status for j in jobs(bank)] == [JobStatus.SUCCEEDED] * 2


def test_one_failing_account_does_not_stop_the_tenant_sync(bank: Bank, eur: BankAccount) -> None:
    bank.sim.fault("error", f"accounts/{eur.provider_account_id}/", status=503, times=None)
    results = {r.account_id: r for r in sync_tenant(bank.app, tenant_id=bank.tenant_id)}
    assert results[eur.id].error is not None
    gbp = bank.account("GBP")
    assert results[gbp.id].error is None
    assert results[gbp.id].added == seeded(bank, gbp)["booked"] + seeded(bank, gbp)["pending"]
