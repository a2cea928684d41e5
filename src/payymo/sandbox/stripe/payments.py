"""Succeeded card payments: customer, payment intent, charge and balance transaction."""

from __future__ import annotations

from dataclasses import dataclass

from payymo.money import Money
from payymo.sandbox.stripe import ledger
from payymo.sandbox.stripe.objects import (
    Card,
    Payment,
    StripeObject,
    charge,
    customer,
    payment_intent,
)
from payymo.sandbox.stripe.state import StripeState
from payymo.sandbox.world import CardPayment

CARD_COUNTRY = {"eur": "DE", "gbp": "GB", "usd": "US"}
INVOICE_METADATA_KEY = "whmcs_invoice_id"


@dataclass(frozen=True)
class RecordedPayment:
    customer: str
    payment_intent: str
    charge: str
    balance_transaction: str
    events: tuple[str, ...]


def record_card_payment(state: StripeState, payment: CardPayment) -> RecordedPayment:
    """Book `payment` as Stripe would after a successful checkout, with its events."""
    money = Money(payment.amount, payment.currency)
    currency, amount = money.currency.lower(), money.to_minor()
    if amount < ledger.MINIMUM_CHARGE.get(currency, 50):
        raise ValueError(f"Amount must be at least the minimum charge in {money.currency}")
    created = int(payment.created.timestamp())
    first_event = len(state.outbox)
    details = Payment(
        amount=amount,
        currency=currency,
        created=created,
        customer=_customer_for(state, payment, currency, created)["id"],
        email=payment.customer_email,
        name=payment.customer_name,
        description=payment.description,
        metadata={INVOICE_METADATA_KEY: str(payment.invoice_id)},
        card=_card(state, created, currency),
    )
    intent, paid = _book(state, details)
    state.emit("charge.succeeded", paid, created=created)
    state.emit("payment_intent.succeeded", intent, created=created)
    return RecordedPayment(
        customer=details.customer,
        payment_intent=intent["id"],
        charge=paid["id"],
        balance_transaction=paid["balance_transaction"],
        events=tuple(evt["id"] for evt in state.outbox[first_event:]),
    )


def _book(state: StripeState, details: Payment) -> tuple[StripeObject, StripeObject]:
    created = details.created
    intent_id, charge_id = state.ids.new("pi", created), state.ids.new("ch", created)
    txn_id = state.ids.new("txn", created)
    intent = payment_intent(
        intent_id=intent_id, charge_id=charge_id, secret=state.ids.chars(25), payment=details
    )
    paid = charge(
        charge_id=charge_id, intent_id=intent_id, balance_transaction=txn_id, payment=details
    )
    transaction = ledger.balance_transaction(
        txn_id=txn_id,
        amount=details.amount,
        fee=ledger.processing_fee(details.amount, details.currency),
        currency=details.currency,
        kind="charge",
        source=charge_id,
        created=created,
        available=ledger.available_on(created),
        description=details.description,
    )
    for obj in (intent, paid, transaction):
        state.add(obj)
    return intent, paid


def _customer_for(
    state: StripeState, payment: CardPayment, currency: str, created: int
) -> StripeObject:
    for existing in state["customer"]:
        if existing["email"] == payment.customer_email:
            return existing
    new = customer(
        customer_id=state.ids.new("cus", created),
        created=created,
        email=payment.customer_email,
        name=payment.customer_name,
        currency=currency,
        invoice_prefix=state.ids.chars(8).upper(),
    )
    state.add(new)
    state.emit("customer.created", new, created=created)
    return new


def _card(state: StripeState, created: int, currency: str) -> Card:
    brand = ("visa", "mastercard")[state.ids.number(0, 1)]
    return Card(
        payment_method=state.ids.new("pm", created),
        brand=brand,
        last4=str(4242 if brand == "visa" else 4444),
        exp_month=state.ids.number(1, 12),
        exp_year=state.ids.number(2027, 2032),
        country=CARD_COUNTRY.get(currency, "US"),
        fingerprint=state.ids.chars(16),
    )
