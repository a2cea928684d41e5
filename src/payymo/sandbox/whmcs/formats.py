"""How WHMCS writes values on the wire, and how PHP reads the values we send it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from payymo.money import DEFAULT_ROUNDING

ZERO_DATETIME = "0000-00-00 00:00:00"
DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"
CENT = Decimal("0.01")
_PHP_INT_RE = re.compile(r"^\s*([+-]?\d+)")


@dataclass(frozen=True)
class Currency:
    """A row of WHMCS's currency table (Setup > Payments > Currencies)."""

    id: int
    code: str
    prefix: str
    suffix: str


# USD first because a fresh WHMCS install has USD as currency 1, as in the fixtures.
CURRENCIES: dict[str, Currency] = {
    c.code: c
    for c in (
        Currency(1, "USD", "$", " USD"),
        Currency(2, "EUR", "€", " EUR"),
        Currency(3, "GBP", "£", " GBP"),
    )
}


def money(amount: Decimal) -> str:
    """A money column as WHMCS prints it: always two decimals ("15.95"), whatever the currency."""
    return f"{amount.quantize(CENT, rounding=DEFAULT_ROUNDING):f}"


def to_cents(amount: Decimal) -> Decimal:
    """Round like MySQL storing into a DECIMAL(16,2) column: half away from zero."""
    return amount.quantize(CENT, rounding=DEFAULT_ROUNDING)


def with_currency(amount: Decimal, currency: Currency) -> str:
    """The stats style: "$2645.80 USD"."""
    return f"{currency.prefix}{money(amount)}{currency.suffix}"


def day(value: date) -> str:
    return value.isoformat()


def moment(value: datetime | None) -> str:
    """A DATETIME column; WHMCS writes unset ones as the MySQL zero date."""
    return value.strftime(DATETIME_FORMAT) if value is not None else ZERO_DATETIME


def parse_moment(text: str) -> datetime:
    """Read `YYYY-MM-DD HH:mm:ss` (naive, like WHMCS's own columns); ValueError otherwise."""
    return datetime.strptime(text.strip(), DATETIME_FORMAT)  # noqa: DTZ007 - WHMCS stores naive


def php_int(value: str | None) -> int:
    """PHP's `(int)` cast: leading digits count, anything else is 0 ("12abc" -> 12, "x" -> 0)."""
    match = _PHP_INT_RE.match(value or "")
    return int(match.group(1)) if match else 0


def php_bool(value: str | None) -> bool:
    """PHP truthiness of a request field: only "" and "0" are false, so "false" is true."""
    return value not in (None, "", "0")
