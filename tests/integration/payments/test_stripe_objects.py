"""Stripe objects read into column values: the cases the seeded simulator never produces."""

from __future__ import annotations

from typing import Any

import pytest

from payymo.integrations.errors import ProviderBadResponse
from payymo.payments.models import StripePaymentKind
from payymo.payments.stripe_objects import Values, add_payment


def charge(**changes: Any) -> dict[str, Any]:
    """A legacy charge without a payment intent, card details and all (as Stripe sends it)."""
    base: dict[str, Any] = {
        "id": "ch_1Legacy",
        "object": "charge",
        "amount": 2900,
        "amount_captured": 2900,
        "amount_refunded": 0,
        "captured": True,
        "currency": "gbp",
        "customer": "cus_1",
        "created": 1_790_000_000,
        "description": "Invoice #77",
        "status": "succeeded",
        "payment_intent": None,
        "metadata": {"whmcs_invoice_id": "77", "customer_note": "call me on 0123"},
        "billing_details": {"name": "Anna Müller", "email": "anna@example.com"},
        "payment_method_details": {"card": {"last4": "4242", "exp_year": 2030}, "type": "card"},
        "balance_transaction": {"id": "txn_1", "amount": 2900, "fee": 64, "net": 2836},
    }
    return base | changes


def payments_from(*charges: dict[str, Any]) -> dict[str, Values]:
    found: dict[str, Values] = {}
    for one in charges:
        add_payment(found, one)
    return found


def test_a_charge_without_a_payment_intent_is_stored_as_a_charge_without_card_data() -> None:
    (values,) = payments_from(charge()).values()
    assert values["kind"] == StripePaymentKind.CHARGE
    assert (values["stripe_id"], values["charge_id"], values["payment_intent_id"]) == (
        "ch_1Legacy",
        "ch_1Legacy",
        None,
    )
    assert (values["amount_minor"], values["fee_minor"], values["net_minor"]) == (2900, 64, 2836)
    assert values["currency"] == "GBP"
    assert values["metadata_"] == {"whmcs_invoice_id": "77"}
    assert "4242" not in repr(values)
    assert "Anna" not in repr(values)


def test_a_failed_attempt_that_its_payment_intent_retried_is_skipped() -> None:
    intent = {"id": "pi_1", "latest_charge": "ch_2", "status": "succeeded", "created": 1}
    failed = charge(id="ch_1", status="failed", payment_intent=intent, balance_transaction=None)
    retried = charge(id="ch_2", payment_intent=intent)
    (values,) = payments_from(failed, retried).values()
    assert (values["stripe_id"], values["charge_id"]) == ("pi_1", "ch_2")


def test_a_charge_that_moved_no_money_has_no_fee_and_no_net() -> None:
    (values,) = payments_from(
        charge(status="failed", captured=False, amount_captured=0, balance_transaction=None)
    ).values()
    assert (values["status"], values["amount_minor"]) == ("failed", 2900)
    assert (values["fee_minor"], values["net_minor"], values["balance_transaction_id"]) == (
        0,
        0,
        None,
    )


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"amount_captured": 29.0}, id="a float amount"),
        pytest.param({"amount_refunded": None}, id="no refunded amount"),
        pytest.param({"currency": "xyz"}, id="an unknown currency"),
        pytest.param({"id": "ch_" + "x" * 80}, id="an id longer than our column"),
        pytest.param({"balance_transaction": "txn_1"}, id="an unexpanded balance transaction"),
        pytest.param({"amount_captured": 10**18}, id="an amount no BIGINT column should hold"),
        pytest.param(
            {"balance_transaction": {"id": "txn_1", "amount": 2900, "fee": -(10**30), "net": 1}},
            id="a fee beyond 64 bits",
        ),
    ],
)
def test_what_does_not_fit_the_contract_is_a_bad_response(changes: dict[str, Any]) -> None:
    with pytest.raises(ProviderBadResponse):
        payments_from(charge(**changes))
