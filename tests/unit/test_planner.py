"""When the scheduler syncs a bank account: within the quota, sooner when invoices fall due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from payymo.worker.planner import bank_sync_due

MORNING = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)


def due(**kw: object) -> bool:
    values: dict[str, object] = {
        "now": MORNING,
        "last_synced_at": MORNING - timedelta(hours=1),
        "used_today": 1,
        "daily_limit": 4,
        "reserve": 1,
        "invoices_due_soon": False,
        **kw,
    }
    return bank_sync_due(**values)  # type: ignore[arg-type]


def test_a_never_synced_account_is_due_while_quota_is_left() -> None:
    assert due(last_synced_at=None, used_today=0)
    assert not due(last_synced_at=None, used_today=3)  # the reserve is for "sync now"


def test_calls_are_spread_over_the_day() -> None:
    assert not due(last_synced_at=MORNING - timedelta(hours=7, minutes=59))
    assert due(last_synced_at=MORNING - timedelta(hours=8))


def test_invoices_falling_due_bring_the_next_sync_forward() -> None:
    # 18 hours left today and 2 calls to spend: every 6 hours instead of every 8.
    last = MORNING - timedelta(hours=6)
    assert not due(last_synced_at=last)
    assert due(last_synced_at=last, invoices_due_soon=True)
    assert not due(last_synced_at=MORNING - timedelta(minutes=10), invoices_due_soon=True)


@given(
    hours=st.lists(st.integers(0, 23 * 60 + 59), min_size=1, max_size=200),
    limit=st.integers(1, 10),
    reserve=st.integers(0, 3),
    soon=st.booleans(),
)
def test_a_day_of_ticks_never_spends_more_than_the_quota_less_the_reserve(
    hours: list[int], limit: int, reserve: int, soon: bool
) -> None:
    start = datetime(2026, 11, 26, tzinfo=UTC)
    used, last = 0, None
    for minute in sorted(hours):
        now = start + timedelta(minutes=minute)
        if bank_sync_due(
            now=now,
            last_synced_at=last,
            used_today=used,
            daily_limit=limit,
            reserve=reserve,
            invoices_due_soon=soon,
        ):
            used, last = used + 1, now
    assert used <= max(limit - reserve, 0)
