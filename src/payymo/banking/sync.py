"""Bank sync: fetch each account's new transactions within the bank's daily call quota.

One call per sync fetches `[synced_through - overlap, today]` (the first one the consent's whole
history); `synced_through` only moves once that window is stored, so a failed or rate-limited
sync leaves no gap behind it. The call is taken from the quota ledger, with the account row
locked, before it is made: parallel syncs of one account never spend more than the quota.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from payymo.banking import ledger, repository
from payymo.banking.ledger import SkipReason
from payymo.banking.models import AccountSource, BankAccount, BankConnection
from payymo.banking.provider import provider_for
from payymo.banking.sync_steps import SCOPE, Plan, SyncResult, failed, store
from payymo.errors import NotFound
from payymo.http import AppServices
from payymo.integrations.errors import ProviderError
from payymo.invoicing.models import ConnectionStatus
from payymo.jobs.runner import track_job

__all__ = ["SkipReason", "SyncResult", "sync_account", "sync_tenant"]

Progress = Callable[[int, int], None]

_turns_lock = threading.Lock()
_sqlite_turns: dict[str, threading.Lock] = {}  # by database URL


def sync_account(
    app: AppServices, *, tenant_id: uuid.UUID, account_id: uuid.UUID, manual: bool = False
) -> SyncResult:
    """Sync one account as a `bank_sync` job; `manual` may spend the quota's reserve."""
    params = {"account_id": str(account_id), "manual": manual}
    with (
        _sqlite_turn(app),
        track_job(app, tenant_id=tenant_id, kind="bank_sync", params=params) as job,
    ):
        result = _sync(app, tenant_id, account_id, manual)
        job.result = result.as_dict()
    return result


@contextmanager
def _sqlite_turn(app: AppServices) -> Iterator[None]:
    """On SQLite, one bank sync at a time in this process; elsewhere, no wait.

    SQLite has a single writer, and a transaction that has read fails at once instead of
    waiting when another connection writes before it does (the job runner's updates read
    first). PostgreSQL syncs run side by side, kept apart by the account's row lock.
    """
    engine = app.db.engine
    if engine.dialect.name != "sqlite":
        yield
        return
    with _turns_lock:
        turn = _sqlite_turns.setdefault(str(engine.url), threading.Lock())
    with turn:
        yield


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
    try:
        batch = provider_for(app, plan.provider).transactions(
            plan.provider_account_id, date_from=plan.date_from, date_to=plan.date_to
        )
    except ProviderError as exc:
        return failed(app, plan, exc)
    return store(app, plan, batch)


def _plan(
    app: AppServices, tenant_id: uuid.UUID, account_id: uuid.UUID, manual: bool
) -> Plan | SyncResult:
    """What to fetch, with the call already taken; or why not to call the provider now."""
    now = app.clock.now()
    with app.db.unit_of_work(tenant_id) as session:
        account = repository.locked_account(session, tenant_id, account_id)
        if account is None:
            raise NotFound(detail="no such bank account")
        connection = _connection(session, account)
        if connection is None or connection.status != ConnectionStatus.ACTIVE:
            reason = (
                SkipReason.NOT_CONNECTED if connection is None else SkipReason.CONNECTION_INACTIVE
            )
            return SyncResult(account_id, skipped_reason=reason)
        skipped = _take_call(app, session, account, manual=manual, now=now)
        if skipped is not None:
            return skipped
        date_from, date_to = _window(app, account, connection, now.date())
        return Plan(
            tenant_id, account_id, connection.id, connection.provider,
            account.provider_account_id, date_from, date_to, taken_at=now,
        )  # fmt: skip


def _take_call(
    app: AppServices, session: Session, account: BankAccount, *, manual: bool, now: datetime
) -> SyncResult | None:
    """None with the call counted, or a skipped result if the quota or a 429 forbids it now."""
    allowed = ledger.take_call(
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
