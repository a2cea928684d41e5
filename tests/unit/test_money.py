from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from payymo.money import (
    CurrencyMismatchError,
    Money,
    MoneyError,
    format_minor,
    minor_digits,
    parse_amount,
    parse_currency,
)


def test_amounts_add_and_subtract_exactly() -> None:
    total = Money.of("0.10", "EUR") + Money.of("0.20", "EUR")
    assert total == Money.of("0.30", "EUR")
    assert total - Money.of("0.30", "EUR") == Money.zero("EUR")


def test_adding_two_currencies_raises() -> None:
    with pytest.raises(CurrencyMismatchError):
        Money.of("1.00", "EUR") + Money.of("1.00", "GBP")


def test_comparing_two_currencies_raises() -> None:
    with pytest.raises(CurrencyMismatchError):
        assert Money.of("1.00", "EUR") < Money.of("2.00", "USD")


def test_money_never_mixes_with_floats() -> None:
    with pytest.raises(MoneyError):
        Money(1.5, "EUR")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money.of("1.00", "EUR") * 1.5  # type: ignore[operator]


@pytest.mark.parametrize(
    ("currency", "digits"), [("EUR", 2), ("GBP", 2), ("JPY", 0), ("BHD", 3), ("KWD", 3)]
)
def test_minor_digits_follow_iso_4217(currency: str, digits: int) -> None:
    assert minor_digits(currency) == digits


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [("12.30", "EUR", 1230), ("-0.05", "EUR", -5), ("1500", "JPY", 1500), ("1.234", "BHD", 1234)],
)
def test_minor_units_round_trip(amount: str, currency: str, minor: int) -> None:
    money = Money.of(amount, currency)
    assert money.to_minor() == minor
    assert Money.from_minor(minor, currency) == money


def test_too_many_decimals_is_refused_rather_than_rounded_silently() -> None:
    with pytest.raises(MoneyError, match="more than 2 decimals"):
        Money.of("1.005", "EUR")
    with pytest.raises(MoneyError):
        Money.of("100.5", "JPY")


@pytest.mark.parametrize(
    ("amount", "expected"),
    [("1.005", "1.01"), ("1.004", "1.00"), ("-1.005", "-1.01"), ("2.675", "2.68")],
)
def test_explicit_rounding_is_half_away_from_zero(amount: str, expected: str) -> None:
    assert Money.rounded(Decimal(amount), "EUR") == Money.of(expected, "EUR")


@pytest.mark.parametrize("text", ["12.30", "-5", "+7.1", "0.5", ".5", " 42.00 "])
def test_plain_decimal_strings_parse(text: str) -> None:
    assert parse_amount(text) == Decimal(text.strip())


@pytest.mark.parametrize(
    "text",
    [
        "",
        "1e3",
        "1E-2",
        "NaN",
        "Infinity",
        "-inf",
        "1,000.00",
        "1 000",
        "12.30 EUR",
        "€5",
        "0x10",
        "--1",
    ],
)
def test_loose_amount_strings_are_rejected(text: str) -> None:
    with pytest.raises(MoneyError):
        parse_amount(text)


def test_amount_must_be_a_string() -> None:
    with pytest.raises(MoneyError):
        parse_amount(12.3)  # type: ignore[arg-type]


@pytest.mark.parametrize("code", ["eur", "Eur"])
def test_currency_codes_are_normalised(code: str) -> None:
    assert parse_currency(code) == "EUR"


@pytest.mark.parametrize("code", ["EU", "EURO", "XYZ", "", "12A"])
def test_unknown_currency_codes_are_rejected(code: str) -> None:
    with pytest.raises(MoneyError):
        parse_currency(code)


def test_format_keeps_the_currency_precision() -> None:
    assert Money.of("5", "EUR").format() == "5.00"
    assert str(Money.of("5", "JPY")) == "5 JPY"


def test_allocate_gives_leftover_cents_to_the_largest_remainders() -> None:
    parts = Money.of("100.00", "EUR").allocate([1, 1, 1])
    assert [p.format() for p in parts] == ["33.34", "33.33", "33.33"]


def test_allocate_never_gives_a_zero_weight_anything() -> None:
    parts = Money.of("0.05", "EUR").allocate([0, 1, 1])
    assert parts[0].is_zero()
    assert sum(p.to_minor() for p in parts) == 5


@given(
    minor=st.integers(min_value=-(10**12), max_value=10**12),
    weights=st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=12).filter(
        lambda ws: sum(ws) > 0
    ),
)
def test_allocated_parts_always_sum_to_the_whole(minor: int, weights: list[int]) -> None:
    whole = Money.from_minor(minor, "EUR")
    parts = whole.allocate(weights)
    assert sum(p.to_minor() for p in parts) == minor
    assert all(p.is_zero() for p, w in zip(parts, weights, strict=True) if w == 0)


@given(a=st.integers(-(10**15), 10**15), b=st.integers(-(10**15), 10**15))
def test_minor_unit_arithmetic_matches_integer_arithmetic(a: int, b: int) -> None:
    total = Money.from_minor(a, "EUR") + Money.from_minor(b, "EUR")
    assert total.to_minor() == a + b


@given(minor=st.integers(-(10**15), 10**15), currency=st.sampled_from(["EUR", "JPY", "BHD"]))
def test_format_minor_agrees_with_money(minor: int, currency: str) -> None:
    assert format_minor(minor, currency) == Money.from_minor(minor, currency).format()


# Range: every amount fits the BIGINT minor-unit columns, whatever text it came from.
LARGEST_MINOR = 10**18 - 1  # the bound docs/api.md states
CURRENCIES = st.sampled_from(["EUR", "JPY", "BHD", "CLF", "USD"])  # 2, 0, 3 and 4 decimals


@pytest.mark.parametrize(
    ("currency", "largest"),
    [("EUR", "9999999999999999.99"), ("JPY", "999999999999999999"), ("BHD", "999999999999999.999")],
)
def test_the_largest_amount_is_18_digits_of_minor_units_either_way(
    currency: str, largest: str
) -> None:
    assert Money.of(largest, currency).to_minor() == LARGEST_MINOR
    assert Money.of("-" + largest, currency).to_minor() == -LARGEST_MINOR
    assert Money.from_minor(LARGEST_MINOR, currency).format() == largest
    for beyond in (
        lambda: Money(Decimal(largest) + Decimal(1).scaleb(-minor_digits(currency)), currency),
        lambda: Money.from_minor(LARGEST_MINOR + 1, currency),
        lambda: Money.from_minor(-LARGEST_MINOR - 1, currency),
        lambda: Money.rounded(Decimal(largest) + 1, currency),
        lambda: Money.from_minor(LARGEST_MINOR, currency) + Money.from_minor(1, currency),
    ):
        with pytest.raises(MoneyError, match="out of range"):
            beyond()


def test_an_amount_beyond_decimal_precision_is_a_money_error_not_an_invalid_operation() -> None:
    with pytest.raises(MoneyError, match="out of range"):
        Money.of("9999999999999999999999999999.99", "EUR")
    with pytest.raises(MoneyError, match="out of range"):
        Money.rounded(Decimal("1" * 40 + ".555"), "EUR")


@given(
    sign=st.sampled_from(["", "-", "+"]),
    whole=st.text("0123456789", min_size=1, max_size=40),
    fraction=st.none() | st.text("0123456789", max_size=8),
    currency=CURRENCIES,
)
def test_any_decimal_string_is_money_in_range_or_a_money_error(
    sign: str, whole: str, fraction: str | None, currency: str
) -> None:
    text = sign + whole + ("" if fraction is None else "." + fraction)
    try:
        money = Money.of(text, currency)
    except MoneyError:
        exact = Decimal(text)
        digits = minor_digits(currency)
        fits = abs(exact.scaleb(digits)) <= LARGEST_MINOR
        assert not fits or exact != exact.quantize(Decimal(1).scaleb(-digits))
    else:
        assert abs(money.to_minor()) <= LARGEST_MINOR
        assert money.amount == Decimal(text)
