"""Reading the offline CLI's inputs: plain amounts take a shortcut that must agree with Money."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from payymo.money import Money, MoneyError, parse_amount
from payymo.reconciliation.offline import InputError, parse_invoices, parse_transactions

amounts = st.one_of(
    st.text("0123456789.+- ", max_size=10),
    st.sampled_from(["12.30", "12.300", "12.305", ".5", "5.", "-0", "1e3", "١٢", " 7 ", ""]),
)


def body(amount: Any, currency: str) -> dict[str, Any]:
    item = {"transactionId": "t1", "transactionAmount": {"amount": amount, "currency": currency}}
    return {"transactions": {"booked": [item]}}


@settings(max_examples=500, deadline=None)
@given(amounts, st.sampled_from(["EUR", "JPY", "BHD"]))
def test_an_amount_is_read_exactly_as_money_reads_it(amount: str, currency: str) -> None:
    try:
        expected = Money(parse_amount(amount), currency).to_minor()
    except MoneyError as exc:
        with pytest.raises(InputError, match=f"^booked #1: {re.escape(str(exc))}$"):
            parse_transactions(body(amount, currency))
    else:
        assert parse_transactions(body(amount, currency))[0].amount_minor == expected


def test_an_amount_that_is_not_a_string_is_refused_naming_the_entry() -> None:
    expected = r"^booked #1: amount must be a decimal string, got float$"
    with pytest.raises(InputError, match=expected):
        parse_transactions(body(12.3, "EUR"))


def test_an_invoice_balance_with_too_many_decimals_is_refused_naming_the_invoice() -> None:
    row = {"id": "7", "total": "10.00", "balance": "9.999", "currencycode": "EUR"}
    with pytest.raises(InputError, match=r"^invoice #1 balance: 9\.999 has more than 2"):
        parse_invoices({"result": "success", "invoices": {"invoice": [row]}})
