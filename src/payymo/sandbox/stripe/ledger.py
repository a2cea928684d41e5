"""The money side of Stripe's objects: balance transactions, fees, payouts and refunds."""

from __future__ import annotations

from payymo.sandbox.stripe.objects import StripeObject

# (basis points, fixed minor units) per currency: European cards in EUR and GBP, else US pricing.
FEE_SCHEDULE = {"eur": (150, 25), "gbp": (150, 20)}
DEFAULT_FEE = (290, 30)
# The smallest charge Stripe accepts, in minor units.
MINIMUM_CHARGE = {"eur": 50, "gbp": 30, "usd": 50}
DAY = 86_400


def processing_fee(amount: int, currency: str) -> int:
    """Stripe's card fee on `amount` minor units, rounded half up to a whole minor unit."""
    basis_points, fixed = FEE_SCHEDULE.get(currency, DEFAULT_FEE)
    return (amount * basis_points + 5_000) // 10_000 + fixed


def available_on(created: int, delay_days: int = 2) -> int:
    """Midnight UTC `delay_days` after the day of `created`, when funds become available."""
    return (created // DAY + delay_days) * DAY


def balance_transaction(
    *,
    txn_id: str,
    amount: int,
    fee: int,
    currency: str,
    kind: str,
    source: str,
    created: int,
    available: int,
    description: str | None,
) -> StripeObject:
    fee_details = []
    if fee:
        fee_details.append(
            {
                "amount": fee,
                "application": None,
                "currency": currency,
                "description": "Stripe processing fees",
                "type": "stripe_fee",
            }
        )
    return {
        "amount": amount,
        "available_on": available,
        "balance_type": "payments",
        "created": created,
        "currency": currency,
        "description": description,
        "exchange_rate": None,
        "fee": fee,
        "fee_details": fee_details,
        "id": txn_id,
        "net": amount - fee,
        "object": "balance_transaction",
        "reporting_category": kind,
        "source": source,
        "status": "pending",
        "type": kind,
    }


def payout(
    *,
    payout_id: str,
    txn_id: str,
    amount: int,
    currency: str,
    created: int,
    arrival_date: int,
    destination: str,
) -> StripeObject:
    return {
        "amount": amount,
        "application_fee": None,
        "application_fee_amount": None,
        "arrival_date": arrival_date,
        "automatic": True,
        "balance_transaction": txn_id,
        "created": created,
        "currency": currency,
        "description": "STRIPE PAYOUT",
        "destination": destination,
        "failure_balance_transaction": None,
        "failure_code": None,
        "failure_message": None,
        "id": payout_id,
        "livemode": False,
        "metadata": {},
        "method": "standard",
        "object": "payout",
        "original_payout": None,
        "payout_method": None,
        "reconciliation_status": "in_progress",
        "reversed_by": None,
        "source_type": "card",
        "statement_descriptor": None,
        "status": "in_transit",
        "trace_id": {"status": "pending", "value": None},
        "type": "bank_account",
    }


def refund(
    *,
    refund_id: str,
    txn_id: str,
    charge: StripeObject,
    amount: int,
    created: int,
    reason: str | None,
    metadata: dict[str, str],
) -> StripeObject:
    return {
        "amount": amount,
        "balance_transaction": txn_id,
        "charge": charge["id"],
        "created": created,
        "currency": charge["currency"],
        "customer": charge["customer"],
        "customer_account": None,
        "destination_details": {"card": {"type": "refund"}, "type": "card"},
        "id": refund_id,
        "metadata": metadata,
        "object": "refund",
        "payment_intent": charge["payment_intent"],
        "payment_method": charge["payment_method"],
        "reason": reason,
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": "succeeded",
        "transfer_reversal": None,
    }


def event(
    *,
    event_id: str,
    event_type: str,
    api_version: str,
    created: int,
    snapshot: StripeObject,
    previous: StripeObject | None,
    pending_webhooks: int,
    request: tuple[str | None, str | None],
) -> StripeObject:
    data: StripeObject = {"object": snapshot}
    if previous is not None:
        data["previous_attributes"] = previous
    return {
        "api_version": api_version,
        "created": created,
        "data": data,
        "id": event_id,
        "livemode": False,
        "object": "event",
        "pending_webhooks": pending_webhooks,
        "request": {"id": request[0], "idempotency_key": request[1]},
        "type": event_type,
    }
