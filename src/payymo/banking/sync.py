"""Bank sync: fetch each account's new transactions within the bank's daily call quota.

One call per sync fetches `[synced_through - overlap, today]` (the first one the consent's whole
history); `synced_through` only moves once that window is stored, so a failed or rate-limited
sync leaves no gap behind it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from payymo.audit.services import Actor, record
from payymo.banking import ingest, ledger, repository
from payymo.banking.ledger import SkipReason
from payymo.banking.models import AccountSource, BankAccount, BankConnection, ProviderCallScope
from payymo.banking.provider import TransactionBatch, provider_for
from payymo.errors import NotFound
from payymo.http import AppServices
from payymo.integrations.errors import AccessExpired, ProviderError, ProviderRateLimited
from payymo.invoicing.models import ConnectionStatus
from payymo.jobs.runner import track_job

__all__ = ["SkipReason", "SyncResult", "sync_account", "sync_tenant"]

SCOPE = ProviderCallScope.TRANSACTIONS
SYNC_ACTOR = Actor.system("bank_sync")

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class SyncResult:
    """What one account's sync did; a skipped sync says why and when to try again."""

    account_id: uuid.UUID
    added: int = 0
    updated: int = 0  # pending to booked, or changed by the bank
    unchanged: int = 0
    skipped_reason: SkipReason | None = None
    next_allowed_at: datetime | None = None
    date_from: date | None = None
    date_to: date | None = None
    error: str | None = None  # set by sync_tenant for an account whose sync failed

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, for the job's result."""
        return {
            "account_id": str(self.account_id),
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped_reason": self.skipped_reason.value if self.skipped_reason else None,
            "next_allowed_at": _iso(self.next_allowed_at),
            "date_from": _iso(self.date_from),
            "date_to": _iso(self.date_to),
            "error": self.error,
        }


@dataclass(frozen=True)
class _Plan:
    tenant_id: uuid.UUID
    account_id: uuid.UUID
    connection_id: uuid.UUID
    provider: str
    provider_account_id: str
    date_from: date
    date_to: date


def sync_account(
    app: AppServices, *, tenant_id: uuid.UUID, account_id: uuid.UUID, manual: bool = False
) -> SyncResult:
    """Sync one account as a `bank_sync` job; `manual` may spend the quota's reserve."""
    params = {"account_id": str(account_id), "manual": manual}
    with track_job(app, tenant_id=tenant_id, kind="bank_sync", params=params) as job:
        result = _sync(app, tenant_id, account_id, manual)
        job.result = result.as_dict()
    return result


def sync_tenant(
    app: AppServices, *, tenant_id: uuid.UUID, progress: Progress | None = None
) -> list[SyncResult]:
    """Sync every account of an active connection; one failing does not stop the others."""
    with app.db.unit_of_work(tenant_id) as session:
        account_ids = _syncable_accounts(session, tenant_id)
    results = []
    for done, account_id in enumerate(account_ids, start=1):
        try:
            results.append(sync_account(app, tenant_id=tenant_id, account_id=account_id))
        except ProviderError as exc:  # already recorded as that account's failed job
            results.append(SyncResult(account_id, error=exc.message))
        if progress is not None:
            progress(done, len(account_ids))
    return results


def _syncable_accounts(session: Session, tenant_id: uuid.UUID) -> list[uuid.UUID]:
    return list(
        session.scalars(
            select(BankAccount.id)
            .join(BankConnection, BankConnection.id == BankAccount.connection_id)
            .where(
                BankAccount.tenant_id == tenant_id,
                BankAccount.is_active.is_(True),
                BankConnection.tenant_id == tenant_id,
                BankConnection.status == ConnectionStatus.ACTIVE,
            )
            .order_by(BankAccount.created_at, BankAccount.id)
        )
    )


def _sync(
    app: AppServices, tenant_id: uuid.UUID, account_id: uuid.UUID, manual: bool
) -> SyncResult:
    plan = _plan(app, tenant_id, account_id, manual)
    if isinstance(plan, SyncResult):
        return plan
    provider = provider_for(app, plan.provider)
    try:
        batch = provider.transactions(
            plan.provider_account_id, date_from=plan.date_from, date_to=plan.date_to
        )
    except ProviderRateLimited as exc:
        return _rate_limited(app, plan, exc)
    except AccessExpired as exc:
        return _access_expired(app, plan, exc)
    _count_call(app, plan, batch)
    return _store(app, plan, batch)


def _plan(
    app: AppServices, tenant_id: uuid.UUID, account_id: uuid.UUID, manual: bool
) -> _Plan | SyncResult:
    """What to fetch, or why not to call the provider at all now."""
    now = app.clock.now()
    with app.db.unit_of_work(tenant_id) as session:
        account = repository.account(session, tenant_id, account_id)
        if account is None:
            raise NotFound(detail="no such bank account")
        connection = _connection(session, account)
        if connection is None or connection.status != ConnectionStatus.ACTIVE:
            reason = (
                SkipReason.NOT_CONNECTED if connection is None else SkipReason.CONNECTION_INACTIVE
            )
            return SyncResult(account_id, skipped_reason=reason)
        skipped = _quota_skip(app, session, account, manual=manual, now=now)
        if skipped is not None:
            return skipped
        date_from, date_to = _window(app, account, connection, now.date())
        return _Plan(
            tenant_id, account_id, connection.id, connection.provider,
            account.provider_account_id, date_from, date_to,
        )  # fmt: skip


def _quota_skip(
    app: AppServices, session: Session, account: BankAccount, *, manual: bool, now: datetime
) -> SyncResult | None:
    """A skipped result if the quota or a 429 forbids a call now, remembering until when."""
    allowed = ledger.allowance(
        session,
        tenant_id=account.tenant_id,
        account_id=account.id,
        scope=SCOPE,
        now=now,
        reserve=0 if manual else app.settings.bank_quota_reserve,
    )
    if allowed.allowed:
        return None
    account.next_sync_allowed_at = allowed.next_allowed_at
    return SyncResult(
        account.id, skipped_reason=allowed.reason, next_allowed_at=allowed.next_allowed_at
    )


def _connection(session: Session, account: BankAccount) -> BankConnection | None:
    if account.source == AccountSource.UPLOAD or account.connection_id is None:
        return None
    connection = session.get(BankConnection, account.connection_id)
    return connection if connection and connection.tenant_id == account.tenant_id else None


def _window(
    app: AppServices, account: BankAccount, connection: BankConnection, today: date
) -> tuple[date, date]:
    earliest = today - timedelta(days=connection.max_historical_days)
    if account.synced_through is None:
        return earliest, today
    # Banks book late: re-read a few days before the last one stored.
    start = account.synced_through - timedelta(days=app.settings.bank_sync_overlap_days)
    return min(max(start, earliest), today), today


def _count_call(app: AppServices, plan: _Plan, batch: TransactionBatch) -> None:
    # Its own transaction: the call was spent even if storing its answer fails.
    with app.db.unit_of_work(plan.tenant_id) as session:
        ledger.count_success(
            session,
            tenant_id=plan.tenant_id,
            account_id=plan.account_id,
            scope=SCOPE,
            now=app.clock.now(),
            quota=batch.quota,
        )


def _store(app: AppServices, plan: _Plan, batch: TransactionBatch) -> SyncResult:
    now = app.clock.now()
    with app.db.unit_of_work(plan.tenant_id) as session:
        account = session.get(BankAccount, plan.account_id, with_for_update=True)
        if account is None:
            raise NotFound(detail="no such bank account")
        counts = ingest.upsert(
            session, account=account, transactions=batch.transactions, today=now.date()
        )
        account.synced_through = max(plan.date_to, account.synced_through or plan.date_to)
        account.last_synced_at = now
        after = ledger.allowance(
            session,
            tenant_id=plan.tenant_id,
            account_id=plan.account_id,
            scope=SCOPE,
            now=now,
            reserve=app.settings.bank_quota_reserve,
        )
        account.next_sync_allowed_at = after.next_allowed_at
    return SyncResult(
        plan.account_id,
        added=counts.added,
        updated=counts.updated,
        unchanged=counts.unchanged,
        next_allowed_at=after.next_allowed_at,
        date_from=plan.date_from,
        date_to=plan.date_to,
    )


def _rate_limited(app: AppServices, plan: _Plan, exc: ProviderRateLimited) -> SyncResult:
    now = app.clock.now()
    until = exc.retry_at or ledger.next_utc_midnight(now)
    with app.db.unit_of_work(plan.tenant_id) as session:
        ledger.record_block(
            session,
            tenant_id=plan.tenant_id,
            account_id=plan.account_id,
            scope=SCOPE,
            now=now,
            until=until,
        )
        account = session.get(BankAccount, plan.account_id)
        if account is not None:
            account.next_sync_allowed_at = until
    return SyncResult(
        plan.account_id,
        skipped_reason=SkipReason.RATE_LIMITED,
        next_allowed_at=until,
        date_from=plan.date_from,
        date_to=plan.date_to,
    )


def _access_expired(app: AppServices, plan: _Plan, exc: AccessExpired) -> SyncResult:
    with app.db.unit_of_work(plan.tenant_id) as session:
        connection = session.get(BankConnection, plan.connection_id)
        if connection is not None and connection.status != ConnectionStatus.EXPIRED:
            before = connection.status.value
            connection.status = ConnectionStatus.EXPIRED
            connection.last_error = exc.message
            record(
                session,
                tenant_id=plan.tenant_id,
                actor=SYNC_ACTOR,
                action="bank_connection.expired",
                object_type="bank_connection",
                object_id=connection.id,
                before={"status": before},
                after={"status": connection.status.value, "reason": exc.message},
            )
    return SyncResult(plan.account_id, skipped_reason=SkipReason.ACCESS_EXPIRED)


def _iso(moment: date | None) -> str | None:
    return moment.isoformat() if moment is not None else None
