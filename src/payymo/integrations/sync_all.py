"""Syncing everything a tenant has connected: WHMCS invoices, Stripe, then each bank account.

One step failing (a provider down, a consent expired) is recorded and the next step runs;
the caller gets every step's outcome.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass

from payymo.banking import sync as bank_sync
from payymo.banking.repository import accounts as bank_accounts
from payymo.crypto import SecretBoxError
from payymo.errors import NotFound, ProblemError
from payymo.http import AppServices
from payymo.integrations.errors import ProviderError
from payymo.invoicing.connections import connection_row as whmcs_row
from payymo.invoicing.models import ConnectionStatus, WhmcsConnection
from payymo.invoicing.sync import sync_invoices
from payymo.payments.connections import find_connection as stripe_row
from payymo.payments.models import StripeConnection
from payymo.payments.sync import sync_stripe
from payymo.reconciliation.services import RunResult, run_reconciliation


@dataclass(frozen=True)
class StepResult:
    tenant_id: uuid.UUID
    step: str  # "whmcs", "stripe" or "bank <account name>"
    ok: bool
    summary: str


Step = tuple[str, Callable[[], str]]


def plan(
    app: AppServices, *, tenant_id: uuid.UUID, account_id: uuid.UUID | None = None
) -> list[Step]:
    """The sync steps for a tenant (only the one account when `account_id` is given)."""
    has_whmcs, has_stripe = live_connections(app, tenant_id=tenant_id)
    with app.db.unit_of_work(tenant_id) as session:
        accounts = [a for a in bank_accounts(session, tenant_id) if a.connection_id and a.is_active]
    if account_id is not None:
        accounts = [a for a in accounts if a.id == account_id]
        if not accounts:
            raise NotFound(detail=f"no connected bank account {account_id} in this tenant")
        return [(f"bank {a.name or a.id}", _bank(app, tenant_id, a.id)) for a in accounts]
    steps: list[Step] = []
    if has_whmcs:
        steps.append(("whmcs", lambda: _counts(asdict(sync_invoices(app, tenant_id=tenant_id)))))
    if has_stripe:
        steps.append(("stripe", lambda: _counts(sync_stripe(app, tenant_id=tenant_id).as_dict())))
    steps += [(f"bank {a.name or a.id}", _bank(app, tenant_id, a.id)) for a in accounts]
    steps.append(("reconcile", lambda: _decided(run_reconciliation(app, tenant_id=tenant_id))))
    return steps


def live_connections(app: AppServices, *, tenant_id: uuid.UUID) -> tuple[bool, bool]:
    """Whether the tenant has a live WHMCS and a live Stripe connection."""
    with app.db.unit_of_work(tenant_id) as session:
        return _live(whmcs_row(session, tenant_id)), _live(stripe_row(session, tenant_id))


def _decided(result: RunResult) -> str:
    counts = ", ".join(f"{status} {n}" for status, n in sorted(result.by_status.items()))
    stored = f"decided {result.decided}" + (f" ({counts})" if counts else "")
    return f"{stored}; {result.in_review} in review"


def _live(connection: WhmcsConnection | StripeConnection | None) -> bool:
    """Connected, and not since disconnected (a disconnected Stripe row is kept as history)."""
    return connection is not None and connection.status is not ConnectionStatus.DISCONNECTED


def _bank(app: AppServices, tenant_id: uuid.UUID, account_id: uuid.UUID) -> Callable[[], str]:
    def run() -> str:
        result = bank_sync.sync_account(app, tenant_id=tenant_id, account_id=account_id)
        if result.skipped_reason:
            return f"skipped ({result.skipped_reason.value}); next call at {result.next_allowed_at}"
        return f"added {result.added}, updated {result.updated}, unchanged {result.unchanged}"

    return run


def _counts(values: dict[str, object]) -> str:
    return ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in values.items() if isinstance(v, int))


def run_step(tenant_id: uuid.UUID, step: Step) -> StepResult:
    """Run one step; provider failures become a failed result rather than an exception."""
    name, action = step
    try:
        return StepResult(tenant_id, name, True, action())
    except ProviderError as exc:
        return StepResult(tenant_id, name, False, exc.message)
    except ProblemError as exc:
        return StepResult(tenant_id, name, False, exc.detail or exc.title)
    except SecretBoxError as exc:  # a key missing from ENCRYPTION_KEYS: this tenant only
        return StepResult(tenant_id, name, False, str(exc))
