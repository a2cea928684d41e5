"""Refunds: a negative balance transaction, and the charge's `amount_refunded` moved up."""

from __future__ import annotations

import copy

from payymo.money import Money
from payymo.sandbox.stripe import ledger
from payymo.sandbox.stripe.errors import invalid, no_such
from payymo.sandbox.stripe.objects import StripeObject
from payymo.sandbox.stripe.state import StripeState

REASONS = ("duplicate", "fraudulent", "requested_by_customer")


def refund_charge(
    state: StripeState,
    *,
    charge_id: str | None,
    intent_id: str | None,
    amount: int | None,
    reason: str | None,
    metadata: dict[str, str],
    now: int,
) -> StripeObject:
    """Refund `amount` (default: all that is left) of a charge, given directly or by its PI."""
    charge = _refundable_charge(state, charge_id, intent_id)
    if reason is not None and reason not in REASONS:
        raise invalid(f"Invalid reason: must be one of {', '.join(REASONS)}", param="reason")
    amount = _refundable_amount(charge, amount)
    refund_id, txn_id = state.ids.new("re", now), state.ids.new("txn", now)
    created = ledger.refund(
        refund_id=refund_id,
        txn_id=txn_id,
        charge=charge,
        amount=amount,
        created=now,
        reason=reason,
        metadata=metadata,
    )
    state.add(_refund_transaction(charge, txn_id, refund_id, amount, now))
    state.add(created)
    state.emit("refund.created", created, created=now)
    previous = _apply_to_charge(charge, created)
    state.emit("charge.refunded", charge, created=now, previous=previous)
    return created


def _refundable_charge(
    state: StripeState, charge_id: str | None, intent_id: str | None
) -> StripeObject:
    if charge_id and intent_id:
        raise invalid("You may only specify one of these parameters: charge, payment_intent.")
    if intent_id:
        intent = state["payment_intent"].get(intent_id)
        if intent is None:
            raise no_such("payment_intent", intent_id, param="payment_intent")
        charge_id = intent["latest_charge"]
    if not charge_id:
        raise invalid(
            "One of the following params should be provided for this request:"
            " payment_intent or charge.",
        )
    charge = state["charge"].get(charge_id)
    if charge is None:
        raise no_such("charge", charge_id, param="charge")
    if charge["refunded"]:
        raise invalid(
            f"Charge {charge_id} has already been refunded.", code="charge_already_refunded"
        )
    return charge


def _refundable_amount(charge: StripeObject, asked: int | None) -> int:
    remaining: int = charge["amount"] - charge["amount_refunded"]
    if asked is not None and asked > remaining:
        raise invalid(
            f"Refund amount ({_shown(asked, charge)}) is greater than unrefunded amount"
            f" on charge ({_shown(remaining, charge)})",
            param="amount",
        )
    return remaining if asked is None else asked


def _refund_transaction(
    charge: StripeObject, txn_id: str, refund_id: str, amount: int, now: int
) -> StripeObject:
    transaction = ledger.balance_transaction(
        txn_id=txn_id,
        amount=-amount,
        fee=0,
        currency=charge["currency"],
        kind="refund",
        source=refund_id,
        created=now,
        available=now,
        description=f"REFUND FOR CHARGE ({charge['description']})",
    )
    transaction["status"] = "available"
    return transaction


def _apply_to_charge(charge: StripeObject, created: StripeObject) -> StripeObject:
    previous = {"amount_refunded": charge["amount_refunded"], "refunded": charge["refunded"]}
    charge["amount_refunded"] += created["amount"]
    charge["refunded"] = charge["amount_refunded"] == charge["amount"]
    charge["refunds"]["data"].insert(0, copy.deepcopy(created))
    return previous


def _shown(minor: int, charge: StripeObject) -> str:
    return str(Money.from_minor(minor, charge["currency"].upper()))
