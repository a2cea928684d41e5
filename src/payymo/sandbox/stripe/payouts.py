"""Automatic payouts: available balance swept per currency, and time moving balances along."""

from __future__ import annotations

from collections import defaultdict

from payymo.sandbox.stripe import ledger
from payymo.sandbox.stripe.objects import StripeObject
from payymo.sandbox.stripe.state import StripeState


def run_payouts(state: StripeState, *, now: int, arrival: int) -> list[StripeObject]:
    """Pay out each currency's available, not yet paid-out balance, if it is positive."""
    due: dict[str, list[StripeObject]] = defaultdict(list)
    for row in state["balance_transaction"]:
        if row["id"] not in state.payout_of and row["available_on"] <= now:
            due[row["currency"]].append(row)
    created = []
    for currency in sorted(due):
        total = sum(row["net"] for row in due[currency])
        if total > 0:
            created.append(_pay_out(state, due[currency], total, now=now, arrival=arrival))
    settle(state, now)
    return created


def _pay_out(
    state: StripeState, rows: list[StripeObject], total: int, *, now: int, arrival: int
) -> StripeObject:
    currency = rows[0]["currency"]
    payout_id, txn_id = state.ids.new("po", now), state.ids.new("txn", now)
    created = ledger.payout(
        payout_id=payout_id,
        txn_id=txn_id,
        amount=total,
        currency=currency,
        created=now,
        arrival_date=arrival,
        destination=f"ba_1{state.ids.account_tag}{currency.upper()}00001",
    )
    transaction = ledger.balance_transaction(
        txn_id=txn_id,
        amount=-total,
        fee=0,
        currency=currency,
        kind="payout",
        source=payout_id,
        created=now,
        available=now,
        description="STRIPE PAYOUT",
    )
    state.add(transaction)
    state.add(created)
    for row in [*rows, transaction]:
        state.payout_of[row["id"]] = payout_id
    state.emit("payout.created", created, created=now)
    return created


def settle(state: StripeState, now: int) -> None:
    """Make funds available and payouts paid once the clock has passed their dates."""
    for row in state["balance_transaction"]:
        if row["status"] == "pending" and row["available_on"] <= now:
            row["status"] = "available"
    for payout in state["payout"]:
        if payout["status"] == "in_transit" and payout["arrival_date"] <= now:
            _mark_paid(state, payout)


def _mark_paid(state: StripeState, payout: StripeObject) -> None:
    moment = max(payout["arrival_date"], payout["created"])
    payout["status"] = "paid"
    payout["trace_id"] = {"status": "supported", "value": f"SIM{payout['id'][-10:].upper()}"}
    state.emit("payout.paid", payout, created=moment, previous={"status": "in_transit"})
    previous = {"reconciliation_status": payout["reconciliation_status"]}
    payout["reconciliation_status"] = "completed"
    state.emit("payout.reconciliation_completed", payout, created=moment, previous=previous)


def balance(state: StripeState) -> StripeObject:
    """`GET /v1/balance`: net per currency, available and pending."""
    sums: dict[str, dict[str, int]] = {"available": defaultdict(int), "pending": defaultdict(int)}
    for row in state["balance_transaction"]:
        sums[row["status"]][row["currency"]] += row["net"]
    return {
        "object": "balance",
        "livemode": False,
        **{
            status: [
                {"amount": amount, "currency": currency, "source_types": {"card": amount}}
                for currency, amount in sorted(per_currency.items())
            ]
            for status, per_currency in sums.items()
        },
    }
