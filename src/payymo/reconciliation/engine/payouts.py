"""The other Stripe leg: which bank credit each Stripe payout produced.

A payout is found on the bank statement as one credit of exactly its amount, in its currency,
booked from the day before its arrival date to a few days after. When several credits fit,
those that say "STRIPE" win, then the one nearest the arrival date; a tie is left alone
rather than guessed, and a credit that does not say "STRIPE" is taken only when it is the one
credit that fits. Each credit is taken by at most one payout. A matched credit is Stripe
money, never a customer payment: the card payments in it are matched on Stripe's side.
Pure: no I/O, same answer in any order.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from payymo.reconciliation.engine.types import EngineTransaction
from payymo.text import fold

EARLIEST = timedelta(days=1)  # banks sometimes book the evening before Stripe's arrival date
LATEST = timedelta(days=4)
_STRIPE = re.compile(r"\bSTRIPE\b")


@dataclass(frozen=True, slots=True)
class EnginePayout:
    id: str
    amount_minor: int
    currency: str
    arrival: date


def match_payouts(
    payouts: Iterable[EnginePayout], credits: Iterable[EngineTransaction]
) -> dict[str, str]:
    """Payout id -> transaction id, for each payout whose bank credit is unambiguous."""
    by_amount: dict[tuple[str, int], list[EngineTransaction]] = {}
    for tx in sorted(credits, key=lambda t: t.id):
        if tx.booked and tx.amount_minor > 0 and tx.day is not None:
            by_amount.setdefault((tx.currency, tx.amount_minor), []).append(tx)
    taken: set[str] = set()
    matches: dict[str, str] = {}
    for payout in sorted(payouts, key=lambda p: (p.arrival, p.id)):
        candidates = [
            tx
            for tx in by_amount.get((payout.currency, payout.amount_minor), ())
            if tx.id not in taken and _in_window(tx.day, payout.arrival)
        ]
        if (chosen := _best(candidates, payout.arrival)) is not None:
            matches[payout.id] = chosen.id
            taken.add(chosen.id)
    return matches


def _in_window(day: date | None, arrival: date) -> bool:
    return day is not None and arrival - EARLIEST <= day <= arrival + LATEST


def _best(candidates: list[EngineTransaction], arrival: date) -> EngineTransaction | None:
    if not candidates:
        return None
    labelled = [tx for tx in candidates if _STRIPE.search(fold(f"{tx.counterparty} {tx.text}"))]
    if not labelled:
        return candidates[0] if len(candidates) == 1 else None
    pool = labelled
    ranked = sorted(pool, key=lambda tx: abs(((tx.day or arrival) - arrival).days))
    nearest = abs(((ranked[0].day or arrival) - arrival).days)
    ties = [tx for tx in ranked if abs(((tx.day or arrival) - arrival).days) == nearest]
    return ranked[0] if len(ties) == 1 else None
