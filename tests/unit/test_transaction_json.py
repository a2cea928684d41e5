"""The transaction list serialises plain rows; it must read exactly as the declared models."""

from __future__ import annotations

import json
import uuid
from datetime import date

import pytest

from payymo.api.registry import json_response
from payymo.banking.models import TransactionStatus
from payymo.banking.repository import TransactionRow
from payymo.banking.schemas import TransactionOut, TransactionPage, transaction_fields


def row(**fields: object) -> TransactionRow:
    values: dict[str, object] = {
        "id": uuid.uuid4(),
        "account_id": uuid.uuid4(),
        "status": TransactionStatus.BOOKED,
        "transaction_date": date(2026, 11, 2),
        "booking_date": date(2026, 11, 2),
        "value_date": None,
        "amount_minor": 4500,
        "currency": "EUR",
        "counterparty_name": "Acme GmbH",
        "counterparty_iban": None,
        "remittance": "INV-1001",
    }
    return TransactionRow(**{**values, **fields})  # type: ignore[arg-type]


ROWS = [
    row(),
    row(amount_minor=-123456, counterparty_iban="DE89370400440532013000"),
    row(currency="JPY", amount_minor=1500, status=TransactionStatus.PENDING, booking_date=None),
    row(currency="BHD", amount_minor=-5, value_date=date(2026, 1, 31)),
    row(counterparty_name='Müller & Söhne "Ltd" \\ ✓', remittance="line\nbreak\ttab \u2028"),
    row(amount_minor=0, counterparty_iban="NL91ABNA0417164300", remittance=""),
]


@pytest.mark.parametrize("cursor", [None, "WyIyMDI2LTExLTAyIl0"])
def test_a_page_of_rows_is_byte_for_byte_the_page_model(cursor: str | None) -> None:
    listed = json_response({"data": [transaction_fields(r) for r in ROWS], "next_cursor": cursor})
    models = [TransactionOut.of(r) for r in ROWS]  # type: ignore[arg-type]
    modelled = TransactionPage(data=models, next_cursor=cursor)
    assert listed.get_data() == modelled.model_dump_json(by_alias=True).encode()
    assert listed.mimetype == "application/json"


def test_row_fields_validate_as_a_transaction_out() -> None:
    for r in ROWS:
        fields = transaction_fields(r)
        assert list(fields) == list(TransactionOut.model_fields)
        assert TransactionOut.model_validate(fields).model_dump(mode="json") == json.loads(
            json_response(fields).get_data()
        )
