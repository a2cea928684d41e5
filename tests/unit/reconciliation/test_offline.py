"""The offline CLI's files: plain amounts take a shortcut that must agree with Money, and the
fast JSON reader must read every file as the standard library does."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from payymo.money import Money, MoneyError, parse_amount
from payymo.reconciliation.engine import Allocation, Decision, Reason, Status
from payymo.reconciliation.offline import (
    InputError,
    load_json,
    parse_invoices,
    parse_transactions,
    read,
    write_decisions,
)

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


@pytest.mark.parametrize(
    ("amount", "currency"),
    [
        ("9999999999999999999999999999.99", "EUR"),  # beyond Decimal's 28 digits
        ("10000000000000000.00", "EUR"),  # one cent beyond 18 digits of minor units
        ("-999999999999999.9999", "CLF"),  # in the shortcut's 15 digits, not in range
    ],
)
def test_an_amount_beyond_what_can_be_stored_is_refused_naming_the_entry(
    amount: str, currency: str
) -> None:
    with pytest.raises(InputError, match=r"^booked #1: amount out of range"):
        parse_transactions(body(amount, currency))
    row = {"id": "7", "total": amount, "currencycode": currency}
    with pytest.raises(InputError, match=r"^invoice #1 \(id 7\) total: amount out of range"):
        parse_invoices({"result": "success", "invoices": {"invoice": [row]}})


def test_an_amount_that_is_not_a_string_is_refused_naming_the_entry() -> None:
    expected = r"^booked #1: amount must be a decimal string, got float$"
    with pytest.raises(InputError, match=expected):
        parse_transactions(body(12.3, "EUR"))


def test_an_invoice_balance_with_too_many_decimals_is_refused_naming_the_invoice() -> None:
    row = {"id": "7", "total": "10.00", "balance": "9.999", "currencycode": "EUR"}
    with pytest.raises(InputError, match=r"^invoice #1 balance: 9\.999 has more than 2"):
        parse_invoices({"result": "success", "invoices": {"invoice": [row]}})


@pytest.mark.parametrize(
    ("amount", "kind"),
    [
        ("12.30", "float"),
        ("12", "int"),
        ("1e3", "float"),
        # The one difference from the standard library: orjson reads an integer beyond 64 bits
        # as a float. It is refused all the same.
        ("1" * 30, "float"),
    ],
)
def test_an_amount_written_as_a_json_number_in_a_file_is_refused(
    tmp_path: Path, amount: str, kind: str
) -> None:
    path = tmp_path / "tx.json"
    path.write_text(json.dumps(body("AMOUNT", "EUR")).replace('"AMOUNT"', amount))
    expected = f"^{re.escape(str(path))}: booked #1: amount must be a decimal string, got {kind}$"
    with pytest.raises(InputError, match=expected):
        read(path, parse_transactions)


@pytest.mark.parametrize(
    ("field", "value", "kind"),
    [
        ("transactionId", "12.5", "float"),
        ("transactionId", "true", "bool"),
        # Beyond 64 bits orjson reads a float: two such ids could read alike, so refused.
        ("transactionId", "1" * 30, "float"),
        ("entryReference", "1" * 30, "float"),
    ],
)
def test_a_transaction_id_that_is_not_text_or_a_whole_number_is_refused(
    tmp_path: Path, field: str, value: str, kind: str
) -> None:
    item = {field: "ID", "transactionAmount": {"amount": "1.00", "currency": "EUR"}}
    path = tmp_path / "tx.json"
    path.write_text(json.dumps({"transactions": {"booked": [item]}}).replace('"ID"', value))
    problem = f"{field} must be a string or a whole number, got {kind}"
    expected = f"^{re.escape(str(path))}: booked #1: {problem}$"
    with pytest.raises(InputError, match=expected):
        read(path, parse_transactions)


def test_whole_number_ids_read_as_their_digits() -> None:
    row = {"id": 7, "userid": 12, "total": "10.00", "currencycode": "EUR"}
    [invoice] = parse_invoices({"result": "success", "invoices": {"invoice": [row]}})
    assert (invoice.id, invoice.client_id) == ("7", "12")
    item = {"transactionId": 99, "transactionAmount": {"amount": "1.00", "currency": "EUR"}}
    [tx] = parse_transactions({"transactions": {"booked": [item]}})
    assert tx.id == "99"
    with pytest.raises(InputError, match=r"^invoice #1: id must be a string or a whole number"):
        parse_invoices({"result": "success", "invoices": {"invoice": [{**row, "id": 7.0}]}})


@pytest.mark.parametrize(
    "content",
    [
        b'\xef\xbb\xbf{"a": "bom"}',
        '{"a": "utf-16"}'.encode("utf-16"),
        b'{"a": NaN, "b": Infinity}',
        b'{"a": "\\ud800 lone surrogate"}',
        b'{"a": 18446744073709551615, "b": -9223372036854775808, "c": 1.5e300}',
        b'{"a": [1, 2.5, "x", null, true, {"b": {}}], "a": "last wins"}',
    ],
)
def test_a_file_reads_as_the_standard_library_reads_it(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "in.json"
    path.write_bytes(content)
    expected = json.loads(content)
    got = load_json(path)
    assert got == expected or json.dumps(got) == json.dumps(expected)  # NaN != NaN


@pytest.mark.parametrize("content", [b"not json", b"", b'{"a": 1,}', b'{"a": "\xff"}'])
def test_a_file_that_is_not_json_is_refused_as_the_standard_library_says(
    tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    try:
        json.loads(content)
    except ValueError as exc:
        expected = f"{path}: not valid JSON ({exc})"
    with pytest.raises(InputError) as raised:
        load_json(path)
    assert str(raised.value) == expected


def test_a_file_nested_too_deeply_is_refused_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_bytes(b"[" * 100_000 + b"]" * 100_000)
    with pytest.raises(InputError) as raised:
        load_json(path)
    assert str(raised.value) == f"{path}: not valid JSON (nested too deeply)"


def test_decisions_are_written_with_amounts_as_decimal_strings(tmp_path: Path) -> None:
    decision = Decision(
        transaction_id="t1",
        status=Status.AUTO,
        currency="EUR",
        confidence=0.97,
        allocations=(Allocation("42", 1230, fee_minor=5), Allocation("43", 7)),
        reasons=(Reason("reference", "quotes invoice 42 \u00e9"),),
    )
    path = tmp_path / "decisions.json"
    write_decisions(path, [decision])
    assert json.loads(path.read_bytes()) == {
        "decisions": [
            {
                "transaction_id": "t1",
                "status": "auto",
                "allocations": [
                    {"invoice_id": "42", "amount": "12.35"},
                    {"invoice_id": "43", "amount": "0.07"},
                ],
                "confidence": 0.97,
                "reasons": ["reference: quotes invoice 42 \u00e9"],
            }
        ]
    }


def test_an_id_with_a_lone_surrogate_is_still_written(tmp_path: Path) -> None:
    decision = Decision("t\ud800", Status.UNMATCHED, "EUR", 0.0)
    path = tmp_path / "decisions.json"
    write_decisions(path, [decision])
    assert json.loads(path.read_bytes())["decisions"][0]["transaction_id"] == "t\ud800"
