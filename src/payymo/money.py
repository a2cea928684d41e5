"""Money: a `Decimal` amount with its ISO 4217 currency. Never a float.

Amounts are stored as integer minor units (`to_minor` / `from_minor`); the number of minor
digits per currency comes from CLDR (via Babel), so JPY has 0, BHD has 3 and EUR has 2.
Every `Money` holds at most `MAX_MINOR` minor units either side of zero; anything larger is a
`MoneyError` wherever it comes from (an API body, a provider, a file).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache

from babel.numbers import get_currency_precision, list_currencies

# WHMCS (PHP's round) and most banks round half away from zero; Decimal calls that HALF_UP.
DEFAULT_ROUNDING = ROUND_HALF_UP

# Minor units are stored in BIGINT columns (below 2**63); 18 digits leave room for sums and keep
# every amount exact within Decimal's default 28-digit context (9999999999999999.99 EUR).
MAX_MINOR = 10**18 - 1

_AMOUNT_RE = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$")
_CURRENCY_RE = re.compile(r"^[A-Z]{3}$")


class MoneyError(ValueError):
    """An amount or currency that cannot be money."""


class CurrencyMismatchError(MoneyError):
    """Arithmetic or comparison across two currencies."""


@cache
def _known_currencies() -> frozenset[str]:
    return frozenset(list_currencies())


def parse_currency(code: str) -> str:
    """Return the ISO 4217 code, or raise `MoneyError` for anything else."""
    if not isinstance(code, str) or not _CURRENCY_RE.match(code.strip().upper()):
        raise MoneyError(f"invalid currency code: {code!r}")
    normalized = code.strip().upper()
    if normalized not in _known_currencies():
        raise MoneyError(f"unknown currency code: {code!r}")
    return normalized


@cache
def minor_digits(currency: str) -> int:
    """How many digits after the decimal point `currency` has (EUR 2, JPY 0, BHD 3)."""
    return int(get_currency_precision(parse_currency(currency)))


@cache
def max_amount(currency: str) -> Decimal:
    """The largest amount, either side of zero, a `Money` in `currency` holds."""
    return Decimal(MAX_MINOR).scaleb(-minor_digits(currency))


def _in_range(amount: Decimal, currency: str) -> Decimal:
    """`amount` if it is finite and within `max_amount`; checked before any rounding, which
    would fail (not round) beyond Decimal's precision."""
    if not amount.is_finite():
        raise MoneyError(f"amount must be finite: {amount!r}")
    if amount.copy_abs() > max_amount(currency):
        raise MoneyError(
            f"amount out of range: at most {max_amount(currency)} {currency} either way"
        )
    return amount


def parse_amount(text: str) -> Decimal:
    """Parse a plain decimal string such as "12.30" or "-5"; reject anything looser.

    Exponents, thousands separators, spaces inside, NaN and infinities are refused, because
    an amount read wrongly is worse than an amount not read at all.
    """
    if not isinstance(text, str):
        raise MoneyError(f"amount must be a string, got {type(text).__name__}")
    candidate = text.strip()
    if not _AMOUNT_RE.match(candidate):
        raise MoneyError(f"invalid amount: {text!r}")
    try:
        return Decimal(candidate)
    except InvalidOperation as exc:  # pragma: no cover - the regex admits only valid input
        raise MoneyError(f"invalid amount: {text!r}") from exc


def format_minor(minor: int, currency: str) -> str:
    """Integer minor units as a decimal string ("1230", "EUR" -> "12.30"), with no Decimal
    arithmetic: the hot path of every money field in API lists."""
    digits = minor_digits(currency)
    if digits == 0:
        return str(minor)
    sign = "-" if minor < 0 else ""
    whole, fraction = divmod(abs(minor), 10**digits)
    return f"{sign}{whole}.{fraction:0{digits}d}"


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount in one currency, always at that currency's minor-unit precision."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.amount, bool) or not isinstance(self.amount, Decimal | int):
            raise MoneyError(f"amount must be Decimal or int, got {type(self.amount).__name__}")
        currency = parse_currency(self.currency)
        amount = _in_range(Decimal(self.amount), currency)
        exponent = Decimal(1).scaleb(-minor_digits(currency))
        quantized = amount.quantize(exponent, rounding=DEFAULT_ROUNDING)
        if quantized != amount:
            raise MoneyError(
                f"{amount} has more than {minor_digits(currency)} decimals for {currency};"
                " use Money.rounded() to round explicitly"
            )
        object.__setattr__(self, "amount", quantized)
        object.__setattr__(self, "currency", currency)

    @classmethod
    def of(cls, amount: str, currency: str) -> Money:
        """Strictly parse a decimal string such as "12.30" in `currency`."""
        return cls(parse_amount(amount), currency)

    @classmethod
    def rounded(cls, amount: Decimal, currency: str, rounding: str = DEFAULT_ROUNDING) -> Money:
        """Round `amount` to the currency's precision (half away from zero by default)."""
        exponent = Decimal(1).scaleb(-minor_digits(currency))
        checked = _in_range(Decimal(amount), parse_currency(currency))
        return cls(checked.quantize(exponent, rounding=rounding), currency)

    @classmethod
    def from_minor(cls, minor: int, currency: str) -> Money:
        """Build from integer minor units, e.g. 1230 EUR cents -> 12.30 EUR."""
        if isinstance(minor, bool) or not isinstance(minor, int):
            raise MoneyError(f"minor units must be int, got {type(minor).__name__}")
        return cls(Decimal(minor).scaleb(-minor_digits(currency)), currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    def to_minor(self) -> int:
        """The amount in integer minor units (cents for EUR)."""
        return int(self.amount.scaleb(minor_digits(self.currency)))

    def _same_currency(self, other: object) -> Money:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatchError(f"{self.currency} and {other.currency} do not mix")
        return other

    def __add__(self, other: Money) -> Money:
        return Money(self.amount + self._same_currency(other).amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        return Money(self.amount - self._same_currency(other).amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __abs__(self) -> Money:
        return Money(abs(self.amount), self.currency)

    def __mul__(self, factor: int) -> Money:
        if isinstance(factor, bool) or not isinstance(factor, int):
            raise TypeError("Money multiplies by int only; use Money.rounded() for ratios")
        return Money(self.amount * factor, self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        return self.amount < self._same_currency(other).amount

    def __le__(self, other: Money) -> bool:
        return self.amount <= self._same_currency(other).amount

    def __gt__(self, other: Money) -> bool:
        return self.amount > self._same_currency(other).amount

    def __ge__(self, other: Money) -> bool:
        return self.amount >= self._same_currency(other).amount

    def is_zero(self) -> bool:
        return self.amount == 0

    def is_positive(self) -> bool:
        return self.amount > 0

    def is_negative(self) -> bool:
        return self.amount < 0

    def allocate(self, weights: list[int]) -> list[Money]:
        """Split into parts proportional to `weights`, losing no minor unit.

        Leftover minor units go to the parts with the largest remainders (earlier parts first
        on ties), so the parts always sum to self and a zero weight always gets zero.
        """
        if not weights or any(w < 0 for w in weights) or sum(weights) == 0:
            raise MoneyError("weights must be non-negative with a positive sum")
        total_minor = self.to_minor()
        sign = -1 if total_minor < 0 else 1
        magnitude, weight_sum = abs(total_minor), sum(weights)
        shares = [magnitude * w // weight_sum for w in weights]
        by_remainder = sorted(
            range(len(weights)), key=lambda i: (-(magnitude * weights[i] % weight_sum), i)
        )
        for i in by_remainder[: magnitude - sum(shares)]:
            shares[i] += 1
        return [Money.from_minor(sign * s, self.currency) for s in shares]

    def format(self) -> str:
        """The amount as a plain string at the currency's precision, e.g. "12.30"."""
        return f"{self.amount:f}"

    def __str__(self) -> str:
        return f"{self.format()} {self.currency}"
