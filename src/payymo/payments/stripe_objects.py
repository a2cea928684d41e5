"""Stripe objects as Payymo's column values: ids, amounts and chosen metadata, nothing else.

Card details, billing details, emails and names are never copied. Anything missing or mistyped
in what Stripe sent is a `ProviderBadResponse`, so nothing half-read is stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from payymo.integrations.errors import ProviderBadResponse
from payymo.money import MAX_MINOR, MoneyError, parse_currency
from payymo.payments.models import StripePaymentKind
from payymo.payments.stripe_client import object_id

# The metadata keys matching reads; everything else (names, emails, notes) stays at Stripe.
KEPT_METADATA = ("whmcs_invoice_id", "whmcs_client_id")

Values = dict[str, Any]


def add_payment(
    into: dict[str, Values], charge: Mapping[str, Any], *, txn: Mapping[str, Any] | None = None
) -> None:
    """Add the payment `charge` belongs to, keyed by its Stripe id (skipping superseded ones).

    `txn` is the charge's balance transaction when `charge` does not carry it expanded.
    """
    values = _payment_values(charge, txn)
    if values is not None:
        into[values["stripe_id"]] = values


def _payment_values(charge: Mapping[str, Any], txn: Mapping[str, Any] | None) -> Values | None:
    """One payment per payment intent (or per charge made without one), with its fee and net.

    None for a superseded attempt: a failed charge its payment intent has since retried.
    """
    charge_id = string(charge, "id")
    intent = charge.get("payment_intent")
    intent_id = object_id(intent)
    if isinstance(intent, Mapping) and object_id(intent.get("latest_charge")) != charge_id:
        return None
    if txn is None and charge.get("balance_transaction") is not None:
        txn = expanded(charge["balance_transaction"], "charge.balance_transaction")
    # Before capture, and for failed charges, no money moved: no fee, no net.
    fee, net = (_minor(txn, "fee"), _minor(txn, "net")) if txn else (0, 0)
    described = intent if isinstance(intent, Mapping) else charge
    captured = charge.get("captured") is True
    return {
        "stripe_id": intent_id or charge_id,
        "kind": StripePaymentKind.PAYMENT_INTENT if intent_id else StripePaymentKind.CHARGE,
        "payment_intent_id": intent_id,
        "charge_id": charge_id,
        "customer_id": _optional_id(charge.get("customer"), "charge.customer"),
        "balance_transaction_id": string(txn, "id") if txn else None,
        "status": string(described, "status", limit=32),
        "currency": _currency(charge),
        "amount_minor": _minor(charge, "amount_captured" if captured else "amount"),
        "fee_minor": fee,
        "net_minor": net,
        "refunded_minor": _minor(charge, "amount_refunded"),
        "description": str(described.get("description") or ""),
        "metadata_": _kept_metadata(described.get("metadata")),
        "created_at_provider": _moment(described, "created"),
    }


def payout_values(payout: Mapping[str, Any]) -> Values:
    """A `StripePayout`'s columns."""
    descriptor = payout.get("statement_descriptor")
    return {
        "stripe_id": string(payout, "id"),
        "status": string(payout, "status", limit=32),
        "reconciliation_status": string(payout, "reconciliation_status", limit=32),
        "automatic": payout.get("automatic") is True,
        "currency": _currency(payout),
        "amount_minor": _minor(payout, "amount"),
        "arrival_date": _day(payout, "arrival_date"),
        "statement_descriptor": descriptor[:64] if isinstance(descriptor, str) else None,
        "balance_transaction_id": _optional_id(payout.get("balance_transaction"), "payout.txn"),
        "created_at_provider": _moment(payout, "created"),
    }


def transaction_values(txn: Mapping[str, Any], payout_id: str) -> Values:
    """A `StripeBalanceTransaction`'s columns, as one of `payout_id`'s contents."""
    available = txn.get("available_on")
    return {
        "stripe_id": string(txn, "id"),
        "type": string(txn, "type", limit=32),
        "reporting_category": str(txn.get("reporting_category") or "")[:64],
        "source_id": _optional_id(txn.get("source"), "balance_transaction.source"),
        "payout_id": payout_id,
        "status": string(txn, "status", limit=32),
        "currency": _currency(txn),
        "amount_minor": _minor(txn, "amount"),
        "fee_minor": _minor(txn, "fee"),
        "net_minor": _minor(txn, "net"),
        "available_on": _moment(txn, "available_on") if available is not None else None,
        "created_at_provider": _moment(txn, "created"),
    }


def _kept_metadata(metadata: Any) -> dict[str, str]:
    if not isinstance(metadata, Mapping):
        return {}
    return {k: str(metadata[k])[:500] for k in KEPT_METADATA if metadata.get(k) is not None}


def expanded(value: Any, name: str) -> Mapping[str, Any]:
    """`value` as the object it must have been expanded to."""
    if not isinstance(value, Mapping):
        raise ProviderBadResponse(f"Stripe sent {name} without the expanded object")
    return value


def string(obj: Mapping[str, Any], name: str, *, limit: int = 64) -> str:
    """A required, non-empty string field of at most `limit` characters (our column sizes)."""
    value = obj.get(name)
    if not isinstance(value, str) or not value or len(value) > limit:
        raise ProviderBadResponse(f"Stripe sent an object without a valid {name}")
    return value


def _optional_id(value: Any, name: str) -> str | None:
    found = object_id(value)
    if value is not None and (found is None or len(found) > 64):
        raise ProviderBadResponse(f"Stripe sent an invalid {name}")
    return found


def _integer(obj: Mapping[str, Any], name: str) -> int:
    value = obj.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProviderBadResponse(f"Stripe sent an object without an integer {name}")
    return value


def _minor(obj: Mapping[str, Any], name: str) -> int:
    value = _integer(obj, name)
    if abs(value) > MAX_MINOR:
        raise ProviderBadResponse(f"Stripe sent an amount out of range: {name}")
    return value


def _currency(obj: Mapping[str, Any]) -> str:
    try:
        return parse_currency(string(obj, "currency", limit=3))
    except MoneyError:
        raise ProviderBadResponse("Stripe sent an unknown currency") from None


def _moment(obj: Mapping[str, Any], name: str) -> datetime:
    return datetime.fromtimestamp(_integer(obj, name), UTC)


def _day(obj: Mapping[str, Any], name: str) -> date:
    return _moment(obj, name).date()
