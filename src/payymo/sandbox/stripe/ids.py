"""Object ids that look like Stripe's and come out the same for the same seed."""

from __future__ import annotations

import random
import string

ALPHABET = string.digits + string.ascii_uppercase + string.ascii_lowercase

# Charges, payment intents and their refunds carry version digit 3 in real Stripe ids.
_VERSION_THREE = frozenset({"ch", "pi", "re", "py"})


def base62(number: int) -> str:
    """`number` (>= 0) in Stripe's id alphabet, most significant digit first."""
    digits = []
    while True:
        number, remainder = divmod(number, len(ALPHABET))
        digits.append(ALPHABET[remainder])
        if number == 0:
            return "".join(reversed(digits))


class IdFactory:
    """Ids shaped `ch_3` + 5 time characters + a 10-character account tag + 8 random ones."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(f"payymo-stripe-sim:{seed}")  # noqa: S311 - ids, not secrets
        self.account_tag = self.chars(10)

    def chars(self, count: int) -> str:
        return "".join(self._rng.choices(ALPHABET, k=count))

    def number(self, low: int, high: int) -> int:
        return self._rng.randint(low, high)

    def new(self, prefix: str, created: int) -> str:
        if prefix == "cus":
            return f"cus_{self.chars(14)}"
        version = "3" if prefix in _VERSION_THREE else "1"
        return f"{prefix}_{version}{base62(created)[-5:]}{self.account_tag}{self.chars(8)}"

    def account(self, created: int) -> str:
        return f"acct_1{base62(created)[-5:]}{self.account_tag}"
