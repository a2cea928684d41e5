"""One account's sync after its provider call: store the answer, or record why there is none.

The call was taken from the quota ledger before it was made (see `ledger.take_call`); every
path here settles it (the bank answered 2xx, readable or not) or releases it (the bank refused).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from payymo.audit.services import Actor, record
from payymo.banking import ingest, ledger, repository
from payymo.banking.ledger import SkipReason
from payymo.banking.models import BankAccount, BankConnection, ProviderCallScope
from payymo.banking.provider import QuarantinedEntry, Quota, TransactionBatch, UnreadableAnswer
from payymo.errors import NotFound
from payymo.http import AppServices
from payymo.integrations.errors import AccessExpired, ProviderError, ProviderRateLimited
from payymo.invoicing.models import ConnectionStatus

SCOPE = ProviderCallScope.TRANSACTIONS
SYNC_ACTOR = Actor.system("bank_sync")


@dataclass(frozen=True)
class SyncResult:
    """What one account's sync did; a skipped sync says why and when to try again."""

    account_id: uuid.UUID
    added: int = 0
    updated: int = 0  # pending to booked, or changed by the bank
    unchanged: int = 0
    retired: int = 0  # pending rows the bank no longer lists, deleted
    stale_pending: int = 0  # such rows kept, because a decision or payout refers to them
    quarantined: tuple[QuarantinedEntry, ...] = ()  # malformed entries, not stored
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
            "retired": self.retired,
            "stale_pending": self.stale_pending,
            "quarantined": [entry.as_dict() for entry in self.quarantined],
            "skipped_reason": self.skipped_reason.value if self.skipped_reason else None,
            "next_allowed_at": _iso(self.next_allowed_at),
            "date_from": _iso(self.date_from),
            "date_to": _iso(self.date_to),
            "error": self.error,
        }


@dataclass(frozen=True)
class Plan:
    """A call taken from the ledger at `taken_at`, for the transactions of one window."""

    tenant_id: uuid.UUID
    account_id: uuid.UUID
    connection_id: uuid.UUID
    provider: str
    provider_account_id: str
    date_from: date
    date_to: date
    taken_at: datetime


def store(app: AppServices, plan: Plan, batch: TransactionBatch) -> SyncResult:
    """Store a fetched batch and move the account's sync window on."""
    now = app.clock.now()
    with app.db.unit_of_work(plan.tenant_id) as session:
        account = _locked(session, plan)
        _settle(session, plan, batch.quota)
        counts = ingest.store(session, account=account, batch=batch, today=now.date())
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
        retired=counts.retired,
        stale_pending=counts.stale_pending,
        quarantined=batch.quarantined,
        next_allowed_at=after.next_allowed_at,
        date_from=plan.date_from,
        date_to=plan.date_to,
    )


def failed(app: AppServices, plan: Plan, exc: ProviderError) -> SyncResult:
    """Settle or release the taken call; a skipped result for a 429 or an expired consent,
    else `exc` again (the job fails with it)."""
    with app.db.unit_of_work(plan.tenant_id) as session:
        account = _locked(session, plan)
        if isinstance(exc, UnreadableAnswer):
            _settle(session, plan, exc.quota)
        elif exc.status is not None:
            ledger.release(
                session,
                tenant_id=plan.tenant_id,
                account_id=plan.account_id,
                scope=SCOPE,
                taken_at=plan.taken_at,
            )
        # No status: no answer came (a timeout), and the bank may have counted the call.
        if isinstance(exc, ProviderRateLimited):
            return _rate_limited(app, session, account, plan, exc)
        if isinstance(exc, AccessExpired):
            return _access_expired(session, plan, exc)
    raise exc


def _settle(session: Session, plan: Plan, quota: Quota) -> None:
    ledger.settle(
        session,
        tenant_id=plan.tenant_id,
        account_id=plan.account_id,
        scope=SCOPE,
        taken_at=plan.taken_at,
        quota=quota,
    )


def _locked(session: Session, plan: Plan) -> BankAccount:
    account = repository.locked_account(session, plan.tenant_id, plan.account_id)
    if account is None:
        raise NotFound(detail="no such bank account")
    return account


def _rate_limited(
    app: AppServices,
    session: Session,
    account: BankAccount,
    plan: Plan,
    exc: ProviderRateLimited,
) -> SyncResult:
    now = app.clock.now()
    until = exc.retry_at or ledger.next_utc_midnight(now)
    ledger.record_block(
        session,
        tenant_id=plan.tenant_id,
        account_id=plan.account_id,
        scope=SCOPE,
        now=now,
        until=until,
    )
    account.next_sync_allowed_at = until
    return SyncResult(
        plan.account_id,
        skipped_reason=SkipReason.RATE_LIMITED,
        next_allowed_at=until,
        date_from=plan.date_from,
        date_to=plan.date_to,
    )


def _access_expired(session: Session, plan: Plan, exc: AccessExpired) -> SyncResult:
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
