"""The payment side of Stripe's objects (account, customer, payment intent, charge), keyed and
typed as in Stripe's own fixtures: amounts in integer minor units, times as unix seconds,
lower-case currencies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

StripeObject = dict[str, Any]

_NO_ADDRESS = {
    "city": None,
    "country": None,
    "line1": None,
    "line2": None,
    "postal_code": None,
    "state": None,
}


@dataclass(frozen=True)
class Card:
    """The card a payment was made with."""

    payment_method: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    country: str
    fingerprint: str


@dataclass(frozen=True)
class Payment:
    """What a payment intent and its charge share."""

    amount: int
    currency: str
    created: int
    customer: str
    email: str
    name: str
    description: str
    metadata: dict[str, str]
    card: Card


def account(*, account_id: str, created: int) -> StripeObject:
    return {
        "id": account_id,
        "object": "account",
        "business_profile": {"name": "Payymo Sandbox Hosting", "url": "https://payymo.test"},
        "business_type": "company",
        "charges_enabled": True,
        "country": "IE",
        "created": created,
        "default_currency": "eur",
        "details_submitted": True,
        "email": "billing@payymo.test",
        "metadata": {},
        "payouts_enabled": True,
        "settings": {
            "payouts": {
                "debit_negative_balances": True,
                "schedule": {"delay_days": 2, "interval": "weekly", "weekly_anchor": "monday"},
                "statement_descriptor": None,
            }
        },
        "type": "standard",
    }


def customer(
    *, customer_id: str, created: int, email: str, name: str, currency: str, invoice_prefix: str
) -> StripeObject:
    return {
        "address": dict(_NO_ADDRESS),
        "balance": 0,
        "created": created,
        "currency": currency,
        "default_source": None,
        "delinquent": False,
        "description": None,
        "discount": None,
        "email": email,
        "id": customer_id,
        "invoice_prefix": invoice_prefix,
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": None,
            "footer": None,
            "rendering_options": None,
        },
        "livemode": False,
        "metadata": {},
        "name": name,
        "next_invoice_sequence": 1,
        "object": "customer",
        "phone": None,
        "preferred_locales": [],
        "shipping": None,
        "tax_exempt": "none",
        "test_clock": None,
    }


def payment_intent(
    *, intent_id: str, charge_id: str, secret: str, payment: Payment
) -> StripeObject:
    return {
        "amount": payment.amount,
        "amount_capturable": 0,
        "amount_details": {"tip": {}},
        "amount_received": payment.amount,
        "application": None,
        "application_fee_amount": None,
        "automatic_payment_methods": {"allow_redirects": "always", "enabled": True},
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": "automatic",
        "client_secret": f"{intent_id}_secret_{secret}",
        "confirmation_method": "automatic",
        "created": payment.created,
        "currency": payment.currency,
        "customer": payment.customer,
        "customer_account": None,
        "description": payment.description,
        "excluded_payment_method_types": None,
        "id": intent_id,
        "last_payment_error": None,
        "latest_charge": charge_id,
        "livemode": False,
        "managed_payments": {"enabled": False},
        "metadata": dict(payment.metadata),
        "next_action": None,
        "object": "payment_intent",
        "on_behalf_of": None,
        "payment_method": payment.card.payment_method,
        "payment_method_configuration_details": None,
        "payment_method_options": {"card": {"request_three_d_secure": "automatic"}},
        "payment_method_types": ["card"],
        "processing": None,
        "receipt_email": payment.email,
        "review": None,
        "setup_future_usage": None,
        "shipping": None,
        "source": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": "succeeded",
        "transfer_data": None,
        "transfer_group": None,
    }


def charge(
    *, charge_id: str, intent_id: str, balance_transaction: str, payment: Payment
) -> StripeObject:
    return {
        "amount": payment.amount,
        "amount_captured": payment.amount,
        "amount_refunded": 0,
        "application": None,
        "application_fee": None,
        "application_fee_amount": None,
        "balance_transaction": balance_transaction,
        "billing_details": {
            "address": dict(_NO_ADDRESS),
            "email": payment.email,
            "name": payment.name,
            "phone": None,
            "tax_id": None,
        },
        "calculated_statement_descriptor": "PAYYMO SANDBOX",
        "captured": True,
        "created": payment.created,
        "currency": payment.currency,
        "customer": payment.customer,
        "description": payment.description,
        "disputed": False,
        "failure_balance_transaction": None,
        "failure_code": None,
        "failure_message": None,
        "fraud_details": {},
        "id": charge_id,
        "livemode": False,
        "metadata": dict(payment.metadata),
        "object": "charge",
        "on_behalf_of": None,
        "outcome": _outcome(),
        "paid": True,
        "payment_intent": intent_id,
        "payment_method": payment.card.payment_method,
        "payment_method_details": {"card": _card_details(payment), "type": "card"},
        "receipt_email": payment.email,
        "receipt_number": None,
        "receipt_url": f"https://pay.stripe.com/receipts/payment/sim_{charge_id}",
        "refunded": False,
        "refunds": {
            "data": [],
            "has_more": False,
            "object": "list",
            "url": f"/v1/charges/{charge_id}/refunds",
        },
        "review": None,
        "shipping": None,
        "source": None,
        "source_transfer": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": "succeeded",
        "transfer_data": None,
        "transfer_group": None,
    }


def _outcome() -> StripeObject:
    return {
        "advice_code": None,
        "network_advice_code": None,
        "network_decline_code": None,
        "network_status": "approved_by_network",
        "reason": None,
        "seller_message": "Payment complete.",
        "type": "authorized",
    }


def _card_details(payment: Payment) -> StripeObject:
    card = payment.card
    return {
        "amount_authorized": payment.amount,
        "authorization_code": None,
        "brand": card.brand,
        "checks": {
            "address_line1_check": None,
            "address_postal_code_check": None,
            "cvc_check": "pass",
        },
        "country": card.country,
        "exp_month": card.exp_month,
        "exp_year": card.exp_year,
        "extended_authorization": {"status": "disabled"},
        "fingerprint": card.fingerprint,
        "funding": "credit",
        "incremental_authorization": {"status": "unavailable"},
        "installments": None,
        "last4": card.last4,
        "mandate": None,
        "multicapture": {"status": "unavailable"},
        "network": card.brand,
        "network_token": {"used": False},
        "network_transaction_id": None,
        "overcapture": {"maximum_amount_capturable": payment.amount, "status": "unavailable"},
        "regulated_status": "unregulated",
        "three_d_secure": None,
        "transaction_link_id": None,
        "wallet": None,
    }
