"""When the scheduler syncs a bank account: spread across the day within the provider's quota.

GoCardless allows a few transaction calls per account and UTC day (4 in its documented default);
`BANK_QUOTA_RESERVE` of them are kept for "sync now". The rest are spread evenly over the day.
An account whose tenant has invoices falling due (due within `DUE_SOON`, or overdue) is synced
sooner: the calls left today are spread over the hours left today instead (one gap more than
calls, so the last comes before midnight), and payments against those invoices show up early.
Pure: the caller gives the facts.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

DAY = timedelta(days=1)
DUE_SOON = timedelta(days=3)
MIN_GAP = timedelta(minutes=30)


def bank_sync_due(
    *,
    now: datetime,
    last_synced_at: datetime | None,
    used_today: int,
    daily_limit: int,
    reserve: int,
    invoices_due_soon: bool,
) -> bool:
    """Whether a scheduled sync of the account should run now."""
    budget = daily_limit - reserve
    left = budget - used_today
    if left <= 0:
        return False
    if last_synced_at is None:
        return True
    spacing = DAY / budget
    if invoices_due_soon:
        midnight = datetime.combine(now.date() + timedelta(days=1), time(), now.tzinfo)
        spacing = min(spacing, max((midnight - now) / (left + 1), MIN_GAP))
    return now - last_synced_at >= spacing
