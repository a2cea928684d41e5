"""The seeded Stripe account: the world's card payments, paid out every Monday."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from payymo.sandbox.stripe.payments import record_card_payment
from payymo.sandbox.stripe.payouts import run_payouts, settle
from payymo.sandbox.stripe.state import StripeState
from payymo.sandbox.world import CardPayment, generate_world

ACCOUNT_AGE = timedelta(days=365)
PAYOUT_TIME = time(6, 0)  # when the weekly automatic payout is created, UTC
MONDAY = 0


def build_state(seed: int, today: date) -> StripeState:
    """The account as it stands at the start of the world's `today`, events already sent."""
    world = generate_world(seed, today=today)
    state = StripeState.empty(
        seed, created=_unix(world.today, time()) - int(ACCOUNT_AGE.total_seconds())
    )
    for moment, payment in _timeline(world.card_payments, world.today):
        if payment is None:
            run_payouts(state, now=moment, arrival=_unix(_next_day(moment), time()))
        else:
            record_card_payment(state, payment)
    settle(state, _unix(world.today, time()))
    state.outbox.clear()
    return state


def _timeline(
    payments: tuple[CardPayment, ...], today: date
) -> list[tuple[int, CardPayment | None]]:
    """Payments and Monday payout runs in time order (None marks a payout run)."""
    events: list[tuple[int, CardPayment | None]] = [
        (int(p.created.timestamp()), p) for p in payments
    ]
    if payments:
        day = min(p.created.date() for p in payments)
        while day <= today:
            if day.weekday() == MONDAY:
                events.append((_unix(day, PAYOUT_TIME), None))
            day += timedelta(days=1)
    return sorted(events, key=lambda item: (item[0], item[1] is not None))


def _unix(day: date, at: time) -> int:
    return int(datetime.combine(day, at, UTC).timestamp())


def _next_day(moment: int) -> date:
    return datetime.fromtimestamp(moment, UTC).date() + timedelta(days=1)
