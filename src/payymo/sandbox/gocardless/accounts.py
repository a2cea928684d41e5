"""`/accounts/{id}/`: metadata (free) and details, balances, transactions (quota-counted)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, jsonify

from payymo.sandbox.gocardless.errors import (
    access_expired,
    api_error,
    invalid_uuid,
    not_found,
)
from payymo.sandbox.gocardless.lifecycle import active_agreements
from payymo.sandbox.gocardless.quota import check_account_quota, count_success
from payymo.sandbox.gocardless.state import Account, Agreement, Store
from payymo.sandbox.gocardless.transactions import balances_json, details_json, transactions_json
from payymo.sandbox.gocardless.web import require_uuid, store, timestamp

Builder = Callable[[Store, Account, list[Agreement]], dict[str, Any]]

bp = Blueprint("gocardless_accounts", __name__, url_prefix="/api/v2/accounts")


def _linked_account(sim: Store, account_id: str) -> Account | None:
    """The account, if a consent ever exposed it (unlinked bank accounts have no id yet)."""
    require_uuid(account_id, invalid_uuid(account_id, "Account"))
    key = account_id.lower()
    return sim.data.accounts.get(key) if key in sim.data.ever_linked else None


def metadata_json(sim: Store, account: Account) -> dict[str, Any]:
    return {
        "id": account.id,
        "created": timestamp(account.created),
        "last_accessed": timestamp(account.last_accessed),
        "iban": account.iban,
        "institution_id": account.institution_id,
        "status": "READY" if active_agreements(sim, account.id) else "EXPIRED",
        "owner_name": account.owner_name,
    }


@bp.get("/<account_id>/")
def get_account(account_id: str) -> Response:
    sim = store()
    with sim.lock:
        account = _linked_account(sim, account_id)
        if account is None:
            raise not_found()
        return jsonify(metadata_json(sim, account))


def _serve(account_id: str, scope: str, build: Builder) -> Response:
    """Check access and quota, build the body, and count the call only if it succeeded."""
    sim = store()
    with sim.lock:
        account = _linked_account(sim, account_id)
        if account is None:
            raise api_error(
                404,
                f"Account ID {account_id} not found",
                "Please check whether you specified a valid Account ID",
            )
        agreements = active_agreements(sim, account.id)
        if not agreements:
            raise access_expired(scope)
        if not any(scope in a.access_scope for a in agreements):
            raise api_error(
                403,
                "Insufficient permissions",
                f"The end user agreement does not include the '{scope}' access scope",
            )
        check_account_quota(sim, account.id, scope)
        body = build(sim, account, agreements)
        count_success(sim, account.id, scope)
        account.last_accessed = sim.now()
    return jsonify(body)


@bp.get("/<account_id>/details/")
def get_details(account_id: str) -> Response:
    return _serve(account_id, "details", lambda _sim, account, _a: details_json(account))


@bp.get("/<account_id>/balances/")
def get_balances(account_id: str) -> Response:
    return _serve(
        account_id, "balances", lambda sim, account, _a: balances_json(account, today=sim.today())
    )


def _transactions(sim: Store, account: Account, agreements: list[Agreement]) -> dict[str, Any]:
    history = max(a.max_historical_days for a in agreements)
    return transactions_json(account, today=sim.today(), history_days=history)


@bp.get("/<account_id>/transactions/")
def get_transactions(account_id: str) -> Response:
    return _serve(account_id, "transactions", _transactions)
