"""How many entries of each kind a corpus gets, and which invoices each paying entry pays.

Paying kinds are scaled down together when the open invoices cannot feed their target shares
(the benchmark's 100k invoices for 1M entries); the entries they leave go to the kinds that
pay no open invoice, in `FALLBACK_WEIGHTS` proportions.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import combinations

from .categories import (
    AMOUNT_ONLY,
    CATEGORIES,
    DUPLICATE_DELIVERY,
    EXACT_REFERENCE,
    FALLBACK_WEIGHTS,
    FEE_DEDUCTED,
    MULTI_REFERENCE,
    MULTI_SUBSET,
    NAME_ONLY,
    OVERPAYMENT,
    PAID_OR_CANCELLED_REFERENCE,
    PARTIAL,
    PAYING_KINDS,
    PENDING,
    PENDING_TWIN_PERCENT,
    TYPO_REFERENCE,
    WRONG_CURRENCY,
)
from .clients import Client
from .company import Company
from .draw import chance
from .invoices import Invoice

OPEN_BUDGET_PERCENT = 95  # plan to use at most this share of the open invoices
SUBSET_SEARCH_LIMIT = 12  # clients with more open invoices are not used for unlisted subsets
# Rare kinds first, so a shortfall of open invoices falls on exact_reference, not on them.
SINGLE_ORDER = (
    TYPO_REFERENCE,
    WRONG_CURRENCY,
    OVERPAYMENT,
    FEE_DEDUCTED,
    PARTIAL,
    AMOUNT_ONLY,
    NAME_ONLY,
    PENDING,
    DUPLICATE_DELIVERY,
    EXACT_REFERENCE,
)
MIN_BALANCE = {PARTIAL: 400, FEE_DEDUCTED: 499}  # cents: room for a clear shortfall or a fee


@dataclass(frozen=True, slots=True)
class Slot:
    """One planned payment: its kind, the invoices it concerns, and whether a pending entry
    for it also appears booked (two entries, like a duplicate delivery)."""

    kind: str
    invoices: tuple[Invoice, ...] = ()
    twin: bool = False

    @property
    def entries(self) -> int:
        return 2 if self.twin or self.kind == DUPLICATE_DELIVERY else 1


def plan(rng: random.Random, company: Company, transactions: int) -> list[Slot]:
    """Every slot of the corpus, shuffled; their entries add up to exactly `transactions`."""
    opened = sum(len(v) for v in company.open_by_client.values())
    counts, twins = target_slots(transactions, opened)
    slots = _paying_slots(rng, company, counts, twins=twins)
    closed = [i for i in company.invoices if i.status in ("Paid", "Cancelled")]
    rest = _spread(transactions - sum(slot.entries for slot in slots), with_paid=bool(closed))
    rng.shuffle(closed)
    for kind, count in rest.items():
        if kind == PAID_OR_CANCELLED_REFERENCE:
            # Reused round-robin when the corpus wants more of them than there are invoices.
            slots += [Slot(kind, (closed[n % len(closed)],)) for n in range(count)]
        else:
            slots += [Slot(kind)] * count
    rng.shuffle(slots)
    return slots


def target_slots(transactions: int, opened: int) -> tuple[dict[str, int], int]:
    """Slots per paying kind, scaled to what `opened` invoices allow, and how many of the
    pending ones also appear booked (taken out of exact_reference's entries)."""
    entries = {c.name: transactions * c.per_mille // 1000 for c in CATEGORIES}
    demand = sum(entries[c.name] * c.invoices_each for c in CATEGORIES) // 10
    budget = opened * OPEN_BUDGET_PERCENT // 100
    if demand > budget:
        for kind in PAYING_KINDS:
            entries[kind] = entries[kind] * budget // demand
    twins = min(entries[PENDING] * PENDING_TWIN_PERCENT // 100, entries[EXACT_REFERENCE])
    counts = {kind: entries[kind] for kind in PAYING_KINDS}
    counts[EXACT_REFERENCE] -= twins
    counts[DUPLICATE_DELIVERY] //= 2
    return counts, twins


def _spread(entries: int, *, with_paid: bool) -> dict[str, int]:
    weights = [(k, w) for k, w in FALLBACK_WEIGHTS if with_paid or k != PAID_OR_CANCELLED_REFERENCE]
    total = sum(w for _, w in weights)
    shares = {kind: entries * weight // total for kind, weight in weights}
    shares[weights[0][0]] += entries - sum(shares.values())
    return shares


def _paying_slots(
    rng: random.Random, company: Company, counts: dict[str, int], *, twins: int
) -> list[Slot]:
    claimed: set[int] = set()
    clients = company.clients[:]
    rng.shuffle(clients)
    walk = iter(clients)
    slots: list[Slot] = []
    for kind in (MULTI_SUBSET, MULTI_REFERENCE):
        slots += _multi_slots(
            rng, company, walk=walk, claimed=claimed, kind=kind, count=counts[kind]
        )
    pool = [i for i in company.invoices if i.status == "Unpaid" and i.index not in claimed]
    rng.shuffle(pool)
    for kind in SINGLE_ORDER:
        chosen, pool = _take(pool, counts[kind], MIN_BALANCE.get(kind, 0))
        doubled = twins if kind == PENDING else 0
        slots += [Slot(kind, (invoice,), n < doubled) for n, invoice in enumerate(chosen)]
    return slots


def _take(pool: list[Invoice], count: int, min_balance: int) -> tuple[list[Invoice], list[Invoice]]:
    chosen: list[Invoice] = []
    rest: list[Invoice] = []
    for invoice in pool:
        if len(chosen) < count and invoice.balance >= min_balance:
            chosen.append(invoice)
        else:
            rest.append(invoice)
    return chosen, rest


def _multi_slots(
    rng: random.Random,
    company: Company,
    *,
    walk: Iterator[Client],
    claimed: set[int],
    kind: str,
    count: int,
) -> list[Slot]:
    pick = _subset_pick if kind == MULTI_SUBSET else _listed_pick
    slots: list[Slot] = []
    for client in walk:
        if len(slots) >= count:
            break
        opened = company.open_of(client)
        free = [i for i in opened if i.index not in claimed]
        chosen = pick(rng, opened, free) if len(free) >= 2 else None
        if chosen:
            claimed.update(i.index for i in chosen)
            slots.append(Slot(kind, tuple(sorted(chosen, key=lambda i: i.id))))
    return slots


def _listed_pick(rng: random.Random, opened: list[Invoice], free: list[Invoice]) -> list[Invoice]:
    size = min(len(free), 2 if chance(rng, 70) else rng.choice((3, 3, 3, 3, 4)))
    return rng.sample(free, size)


def _subset_pick(
    rng: random.Random, opened: list[Invoice], free: list[Invoice]
) -> list[Invoice] | None:
    """2 or 3 of the client's free invoices whose sum no other set of its open invoices (nor
    a single one) makes: the only reading of the amount, so an engine may find it."""
    if len(opened) > SUBSET_SEARCH_LIMIT:
        return None
    for _ in range(3):
        chosen = rng.sample(free, min(len(free), rng.choice((2, 2, 3))))
        if subsets_summing(opened, sum(i.balance for i in chosen)) == 1:
            return chosen
    return None


def subsets_summing(invoices: list[Invoice], target: int) -> int:
    """How many non-empty sets of `invoices` have balances adding up to `target` cents."""
    balances = [i.balance for i in invoices]
    return sum(
        1
        for size in range(1, len(balances) + 1)
        for combo in combinations(balances, size)
        if sum(combo) == target
    )
