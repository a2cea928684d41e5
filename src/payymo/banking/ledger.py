"""The provider call ledger: successful calls per (account, scope, UTC day), and 429 blocks.

Banks allow as few as 4 successful calls a day per account and scope, so every call is counted
here and checked before the next one; the ledger also says when the next call is possible.

A sync takes its call (`take_call`) before making it, in the transaction that checked the
allowance and with the account row locked, so parallel syncs cannot all spend the last call;
it then `settle`s the call with the provider's own count, or `release`s it if the bank refused.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from payymo.banking.models import BankCallLedger, ProviderCallScope
from payymo.banking.provider import Quota

# GoCardless's lowest per-account limit: assumed until the bank reports its own.
DEFAULT_DAILY_LIMIT = 4


class SkipReason(StrEnum):
    """Why a sync made no call (or stopped after one)."""

    QUOTA_EXHAUSTED = "quota_exhausted"
    RATE_LIMITED = "rate_limited"
    ACCESS_EXPIRED = "access_expired"
    CONNECTION_INACTIVE = "connection_inactive"
    NOT_CONNECTED = "not_connected"


@dataclass(frozen=True)
class Allowance:
    """Whether a call may be made now and, if not, why and from when."""

    allowed: bool
    reason: SkipReason | None = None
    next_allowed_at: datetime | None = None


def next_utc_midnight(now: datetime) -> datetime:
    return datetime.combine(now.astimezone(UTC).date() + timedelta(days=1), time(), UTC)


def allowance(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    account_id: uuid.UUID,
    scope: ProviderCallScope,
    now: datetime,
    reserve: int,
) -> Allowance:
    """May one more call be made, keeping `reserve` calls of today's quota back?"""
    blocked_until = _blocked_until(session, tenant_id, account_id, scope, now)
    if blocked_until is not None:
        return Allowance(False, SkipReason.RATE_LIMITED, blocked_until)
    today = _entry(session, tenant_id, account_id, scope, now)
    successes = today.successes if today is not None else 0
    if successes >= _known_limit(session, tenant_id, account_id, scope) - reserve:
        return Allowance(False, SkipReason.QUOTA_EXHAUSTED, next_utc_midnight(now))
    return Allowance(True)


def take_call(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    account_id: uuid.UUID,
    scope: ProviderCallScope,
    now: datetime,
    reserve: int,
) -> Allowance:
    """`allowance`, and if a call is allowed, count it now, before it is made.

    The caller holds the account's row lock (`repository.locked_account`) and settles or
    releases the call, on the day of `now`, once the provider has answered.
    """
    allowed = allowance(
        session, tenant_id=tenant_id, account_id=account_id, scope=scope, now=now, reserve=reserve
    )
    if allowed.allowed:
        _counted(session, tenant_id, account_id, scope, now).successes += 1
    return allowed


def settle(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    account_id: uuid.UUID,
    scope: ProviderCallScope,
    taken_at: datetime,
    quota: Quota,
) -> None:
    """A taken call was answered 2xx: it stays counted, corrected by the provider's count."""
    _adopt(_counted(session, tenant_id, account_id, scope, taken_at), quota)


def release(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    account_id: uuid.UUID,
    scope: ProviderCallScope,
    taken_at: datetime,
) -> None:
    """A taken call was refused (4xx, 5xx, 429), so the bank did not count it: give it back."""
    entry = _counted(session, tenant_id, account_id, scope, taken_at)
    entry.successes = max(0, entry.successes - 1)


def count_success(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    account_id: uuid.UUID,
    scope: ProviderCallScope,
    now: datetime,
    quota: Quota,
) -> BankCallLedger:
    """Count one successful call, trusting the provider's own count when it reports one."""
    entry = _counted(session, tenant_id, account_id, scope, now)
    entry.successes += 1
    _adopt(entry, quota)
    return entry


def _adopt(entry: BankCallLedger, quota: Quota) -> None:
    if quota.limit is not None:
        entry.limit = quota.limit
        if quota.remaining is not None:
            # Calls made elsewhere with the same consent count too.
            entry.successes = max(entry.successes, quota.limit - quota.remaining)


def record_block(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    account_id: uuid.UUID,
    scope: ProviderCallScope,
    now: datetime,
    until: datetime,
) -> BankCallLedger:
    """Remember a 429: no call for this account and scope before `until`."""
    entry = _counted(session, tenant_id, account_id, scope, now)
    if entry.blocked_until is None or entry.blocked_until < until:
        entry.blocked_until = until
    return entry


def _entry(
    session: Session,
    tenant_id: uuid.UUID,
    account_id: uuid.UUID,
    scope: ProviderCallScope,
    now: datetime,
) -> BankCallLedger | None:
    return session.scalars(
        select(BankCallLedger).where(
            BankCallLedger.tenant_id == tenant_id,
            BankCallLedger.account_id == account_id,
            BankCallLedger.scope == scope,
            BankCallLedger.day == now.astimezone(UTC).date(),
        )
    ).one_or_none()


def _counted(
    session: Session,
    tenant_id: uuid.UUID,
    account_id: uuid.UUID,
    scope: ProviderCallScope,
    now: datetime,
) -> BankCallLedger:
    """The day's entry, created if this is the day's first."""
    entry = _entry(session, tenant_id, account_id, scope, now)
    if entry is None:
        entry = BankCallLedger(
            tenant_id=tenant_id,
            account_id=account_id,
            scope=scope,
            day=now.astimezone(UTC).date(),
            successes=0,
        )
        session.add(entry)
    return entry


def _blocked_until(
    session: Session,
    tenant_id: uuid.UUID,
    account_id: uuid.UUID,
    scope: ProviderCallScope,
    now: datetime,
) -> datetime | None:
    # A 429 late in the day may block into the next one, so yesterday's entry counts too.
    since = now.astimezone(UTC).date() - timedelta(days=1)
    found = session.scalars(
        select(BankCallLedger.blocked_until).where(
            BankCallLedger.tenant_id == tenant_id,
            BankCallLedger.account_id == account_id,
            BankCallLedger.scope == scope,
            BankCallLedger.day >= since,
            BankCallLedger.blocked_until.is_not(None),
        )
    ).all()
    latest = max((moment for moment in found if moment is not None), default=None)
    return latest if latest is not None and latest > now else None


def _known_limit(
    session: Session, tenant_id: uuid.UUID, account_id: uuid.UUID, scope: ProviderCallScope
) -> int:
    limit = session.scalars(
        select(BankCallLedger.limit)
        .where(
            BankCallLedger.tenant_id == tenant_id,
            BankCallLedger.account_id == account_id,
            BankCallLedger.scope == scope,
            BankCallLedger.limit.is_not(None),
        )
        .order_by(BankCallLedger.day.desc())
        .limit(1)
    ).first()
    return limit if limit is not None else DEFAULT_DAILY_LIMIT
