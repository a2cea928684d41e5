"""Candidate plans for one transaction: which invoices it may pay, and how well it fits."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from itertools import combinations

from payymo.reconciliation.engine.types import Allocation, EngineInvoice, EngineTransaction, Reason

EXACT, FEE, PARTIAL, OVER = "exact", "fee", "partial", "over"
_EPOCH = date(1970, 1, 1)


@dataclass
class Plan:
    invoices: list[EngineInvoice]
    confidence: float
    auto_ok: bool
    allocations: tuple[Allocation, ...] = ()
    reasons: list[Reason] = field(default_factory=list)
    referenced: bool = False  # the transaction names these invoices


def fit(tx: EngineTransaction, invoices: list[EngineInvoice], fee_tolerance: int) -> str:
    """How the transaction's amount fits the invoices' open balances."""
    owed = sum(i.balance_minor for i in invoices)
    if tx.amount_minor == owed:
        return EXACT
    short = owed - tx.amount_minor
    # A fee is small next to what is owed; a quarter or more missing is a partial payment.
    if 0 < short <= fee_tolerance and short * 4 < owed:
        return FEE
    if tx.amount_minor < owed:
        return PARTIAL
    return OVER


def allocate(
    tx: EngineTransaction, invoices: list[EngineInvoice], how: str
) -> tuple[Allocation, ...]:
    """Spread the amount over the invoices in order; a bank fee is charged to the last one."""
    left, out = tx.amount_minor, []
    for n, invoice in enumerate(invoices):
        if left <= 0:
            break
        take = min(left, invoice.balance_minor)
        fee = 0
        if how == FEE and n == len(invoices) - 1:
            fee = invoice.balance_minor - take
        out.append(Allocation(invoice.id, take, fee))
        left -= take
    return tuple(out)


def subset_sums(
    invoices: list[EngineInvoice], target: int, *, max_candidates: int, max_size: int
) -> list[list[EngineInvoice]]:
    """Sets of at least two invoices whose balances add up to `target`, smallest sets first.

    Capped (the newest `max_candidates` invoices, sets up to `max_size`); stops as soon as a
    size yields two answers, since a tie is refused anyway.
    """
    pool = sorted(invoices, key=lambda i: (i.issued or i.due or _EPOCH, i.id))[-max_candidates:]
    for size in range(2, min(max_size, len(pool)) + 1):
        found = [
            list(c) for c in combinations(pool, size) if sum(i.balance_minor for i in c) == target
        ]
        if found:
            return found[:2]
    return []
