"""The sandbox world is dated from the day it is built for, whatever day that is."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from hypothesis import given, settings
from hypothesis import strategies as st

from payymo.sandbox.world import generate_world

DAYS = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))


@settings(max_examples=25, deadline=None)
@given(today=DAYS, seed=st.integers(min_value=0, max_value=10_000))
def test_nothing_in_the_world_is_ahead_of_its_day(today: date, seed: int) -> None:
    world = generate_world(seed, today=today)
    start_of_day = datetime.combine(today, time(), UTC)

    assert world.today == today
    assert all(invoice.issued < today for invoice in world.invoices)
    assert all(payment.booking_date <= today for payment in world.bank_payments)
    # A card payment has a time of day: any time today could still be ahead of the clock.
    assert all(payment.created < start_of_day for payment in world.card_payments)
    assert world.card_payments  # the demo has card payments to show


def test_the_same_seed_and_day_give_the_same_world_and_another_day_moves_it() -> None:
    day = date(2031, 2, 28)
    later = date(2032, 2, 29)
    assert generate_world(7, today=day) == generate_world(7, today=day)
    moved = generate_world(7, today=later)
    shift = later - day
    assert [i.issued + shift for i in generate_world(7, today=day).invoices] == [
        i.issued for i in moved.invoices
    ]
