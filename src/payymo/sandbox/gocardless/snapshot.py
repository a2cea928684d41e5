"""What `GET /_sim/state` shows: requisitions, accounts, transactions and quota counters."""

from __future__ import annotations

from typing import Any

from payymo.sandbox.gocardless.agreements import agreement_json
from payymo.sandbox.gocardless.lifecycle import active_agreements, expire_due
from payymo.sandbox.gocardless.state import Account, Requisition, Store, Transaction


def _transaction(tx: Transaction) -> dict[str, Any]:
    return {
        "internal_id": tx.internal_id,
        "transaction_id": tx.transaction_id,
        "pending": tx.pending,
        "booking_date": tx.booking_date.isoformat() if tx.booking_date else None,
        "amount": str(tx.amount),
        "currency": tx.currency,
        "remittance": tx.remittance,
    }


def _account(sim: Store, account: Account) -> dict[str, Any]:
    return {
        "id": account.id,
        "institution_id": account.institution_id,
        "iban": account.iban,
        "currency": account.currency,
        "linked": account.id in sim.data.ever_linked,
        "active": bool(active_agreements(sim, account.id)),
        "booked": sum(1 for t in account.transactions if not t.pending),
        "pending": sum(1 for t in account.transactions if t.pending),
        "transactions": [_transaction(t) for t in account.transactions],
    }


def _requisition(requisition: Requisition) -> dict[str, Any]:
    return {
        "id": requisition.id,
        "status": requisition.status,
        "history": list(requisition.history),
        "reference": requisition.reference,
        "institution_id": requisition.institution_id,
        "agreement": requisition.agreement_id,
        "accounts": list(requisition.accounts),
    }


def dump_state(sim: Store) -> dict[str, Any]:
    """The whole simulator state as JSON-ready data."""
    with sim.lock:
        expire_due(sim)
        return {
            "now": sim.now().isoformat(),
            "seed": sim.config.seed,
            "daily_limit": sim.config.daily_limit,
            "accounts": [_account(sim, a) for a in sim.data.accounts.values()],
            "agreements": [agreement_json(a) for a in sim.data.agreements.values()],
            "requisitions": [_requisition(r) for r in sim.data.requisitions.values()],
            "quota": [
                {"account_id": account, "scope": scope, "day": day.isoformat(), "count": count}
                for (account, scope, day), count in sorted(sim.data.quota.items())
            ],
        }
