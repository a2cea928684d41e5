"""Random draws with whole-number weights and chances, so no probability is a float literal."""

from __future__ import annotations

import bisect
import random
from collections.abc import Sequence
from itertools import accumulate
from typing import Generic, TypeVar

T = TypeVar("T")


def chance(rng: random.Random, percent: int) -> bool:
    """True `percent` times in a hundred."""
    return rng.randrange(100) < percent


def per_mille(rng: random.Random, share: int) -> bool:
    """True `share` times in a thousand."""
    return rng.randrange(1000) < share


class Weighted(Generic[T]):
    """A fixed table of (value, integer weight) to draw from quickly."""

    def __init__(self, table: Sequence[tuple[T, int]]) -> None:
        self.values = [value for value, _ in table]
        self.cumulative = list(accumulate(weight for _, weight in table))

    def pick(self, rng: random.Random) -> T:
        point = rng.randrange(self.cumulative[-1])
        return self.values[bisect.bisect_right(self.cumulative, point)]


def new_rng(seed: int, stream: str) -> random.Random:
    """An independent, reproducible stream per purpose, so one part can grow without moving the
    others (more transactions never change the invoices)."""
    return random.Random(f"payymo-corpus:{seed}:{stream}")  # noqa: S311 - test data, not secrets
