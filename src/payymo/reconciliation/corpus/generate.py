"""Put it together: the books, the plan, then one bank entry (and its truth) per step."""

from __future__ import annotations

import copy
import heapq
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import cache
from functools import partial as bind
from typing import Any

from . import customer, others, unreferenced
from .categories import (
    AMOUNT_ONLY,
    DEBIT,
    DUPLICATE_DELIVERY,
    EXACT_REFERENCE,
    FEE_DEDUCTED,
    MULTI_REFERENCE,
    MULTI_SUBSET,
    NAME_ONLY,
    OVERPAYMENT,
    PAID_OR_CANCELLED_REFERENCE,
    PARTIAL,
    PENDING,
    STRIPE_PAYOUT,
    TYPO_REFERENCE,
    UNRELATED_CREDIT,
    WRONG_CURRENCY,
)
from .company import Company, build_company
from .context import Context
from .customer import Built
from .draw import new_rng
from .entries import Payment, Truth, booked_entry, pending_entry
from .invoices import whmcs_row
from .plan import Slot, plan

Builder = Callable[[Context, Slot], Built]
BOOKED = "booked"
PENDING_SECTION = "pending"
DUPLICATE_DELAY = 40  # the second delivery comes up to this many entries later


@dataclass(frozen=True, slots=True)
class Event:
    """One entry for `transactions.<section>`; `truth` is None on a duplicate's second copy."""

    section: str
    entry: dict[str, Any]
    key: str  # transactionId, or entryReference for pending entries
    truth: dict[str, Any] | None


class _Ids:
    """Transaction ids unique by construction: a running number inside each."""

    def __init__(self, ctx: Context) -> None:
        self.rng, self.count = ctx.rng, 0

    def next(self) -> int:
        self.count += 1
        return self.count

    def booked(self, day: date) -> tuple[str, str]:
        n = self.next()
        return f"{_compact(day)}{n:08d}", f"{self.rng.getrandbits(96):024x}{n:08x}"

    def pending(self, today: date) -> str:
        return f"PDG{today:%Y%m%d}{self.next():08d}"


@cache
def _compact(day: date) -> str:
    return day.isoformat().replace("-", "")


def builders(ctx: Context) -> dict[str, Builder]:
    parties = others.counterparties(ctx.rng)
    return {
        EXACT_REFERENCE: customer.exact,
        MULTI_REFERENCE: customer.multi,
        MULTI_SUBSET: unreferenced.subset,
        PARTIAL: customer.partial,
        OVERPAYMENT: customer.overpaid,
        FEE_DEDUCTED: customer.fee_deducted,
        WRONG_CURRENCY: customer.wrong_currency,
        TYPO_REFERENCE: customer.typo,
        AMOUNT_ONLY: unreferenced.amount_only,
        NAME_ONLY: unreferenced.name_only,
        PENDING: customer.pending,
        DUPLICATE_DELIVERY: customer.duplicate,
        PAID_OR_CANCELLED_REFERENCE: customer.paid_or_cancelled,
        DEBIT: bind(others.debit, parties=parties),
        STRIPE_PAYOUT: bind(others.stripe_payout, parties=parties),
        UNRELATED_CREDIT: bind(others.unrelated_credit, parties=parties),
    }


def start(
    *, seed: int, invoices: int, transactions: int, today: date
) -> tuple[Company, Iterator[Event]]:
    """The books, and a lazy stream of exactly `transactions` entries for them."""
    company = build_company(seed=seed, invoices=invoices, today=today)
    ctx = Context(new_rng(seed, "transactions"), company, today)
    slots = plan(new_rng(seed, "plan"), company, transactions)
    return company, _events(ctx, slots)


def invoice_rows(company: Company, *, seed: int) -> Iterator[dict[str, Any]]:
    rng = new_rng(seed, "rows")
    return (whmcs_row(rng, invoice, company.today) for invoice in company.invoices)


def _events(ctx: Context, slots: list[Slot]) -> Iterator[Event]:
    make = builders(ctx)
    ids = _Ids(ctx)
    later: list[tuple[int, int, Event]] = []  # (position, tie-break, second delivery)
    for position, slot in enumerate(slots):
        for payment, truth in make[slot.kind](ctx, slot):
            event = _event(ctx, ids, payment, truth)
            yield event
            if slot.kind == DUPLICATE_DELIVERY:
                again = Event(BOOKED, copy.deepcopy(event.entry), event.key, None)
                due = position + ctx.rng.randrange(1, DUPLICATE_DELAY)
                heapq.heappush(later, (due, ids.next(), again))
        while later and later[0][0] <= position:
            yield heapq.heappop(later)[2]
    while later:
        yield heapq.heappop(later)[2]


def _event(ctx: Context, ids: _Ids, payment: Payment, truth: Truth) -> Event:
    if payment.pending:
        key = ids.pending(ctx.today)
        entry = pending_entry(ctx.rng, payment, entry_reference=key)
        return Event(PENDING_SECTION, entry, key, truth.as_json())
    key, internal = ids.booked(payment.day)
    entry = booked_entry(ctx.rng, payment, transaction_id=key, internal_id=internal)
    return Event(BOOKED, entry, key, truth.as_json())
