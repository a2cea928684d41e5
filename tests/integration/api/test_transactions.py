"""The transaction list: what a row shows, keyset pages, and every filter, on both backends."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from payymo.banking.models import TransactionStatus
from payymo.banking.schemas import TransactionPage
from tests.factories.banking import bank_account, bank_transaction
from tests.integration.api.conftest import Api, Member, new_member
from tests.integration.api.helpers import ok

LIST = "/api/v1/transactions"


def seed(member: Member) -> dict[str, uuid.UUID]:
    """Two accounts and a handful of transactions that differ in every filtered field."""
    with member.api.services.db.unit_of_work(member.tenant_id) as session:
        eur = bank_account(session, tenant_id=member.tenant_id)
        jpy = bank_account(session, tenant_id=member.tenant_id, name="Yen", currency="JPY")
        made = {
            "paid": bank_transaction(
                session,
                account=eur,
                transaction_date=date(2026, 11, 3),
                amount_minor=12_345,
                counterparty_name="Müller & Söhne",
                counterparty_iban="DE89370400440532013000",
                remittance="INV-1001",
                bank_transaction_code="PMNT-RCDT-ESCT",
            ),
            "fee": bank_transaction(
                session,
                account=eur,
                transaction_date=date(2026, 11, 1),
                amount_minor=-250,
                counterparty_name="Bank",
                remittance="Account fee",
            ),
            "pending": bank_transaction(
                session,
                account=eur,
                status=TransactionStatus.PENDING,
                transaction_date=date(2026, 11, 4),
                booking_date=None,
                amount_minor=990,
                remittance="INV-1002",
            ),
            "yen": bank_transaction(
                session,
                account=jpy,
                transaction_date=date(2026, 10, 30),
                amount_minor=1500,
                remittance="INV-2001",
            ),
        }
        ids = {name: tx.id for name, tx in made.items()}
        ids["eur"], ids["jpy"] = eur.id, jpy.id
    return ids


def listed(member: Member, headers: dict[str, str], **query: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = ok(
        member.api.client().get(LIST, query_string=query, headers=headers)
    )["data"]
    return items


def test_a_listed_transaction_reads_as_its_detail(api: Api) -> None:
    owner = new_member(api)
    headers = owner.headers()
    ids = seed(owner)
    page = ok(api.client().get(LIST, headers=headers))
    TransactionPage.model_validate(page)
    assert len(page["data"]) == 4
    for item in page["data"]:
        detail = ok(api.client().get(f"{LIST}/{item['id']}", headers=headers))
        assert set(detail) - set(item) == {"decision", "bank_transaction_code"}
        assert item == {key: detail[key] for key in item}
    # Every field against what was stored: the list and the detail share their serialisation,
    # so agreeing with each other alone would not catch a field filled from the wrong column.
    by_id = {item["id"]: item for item in page["data"]}
    assert by_id[str(ids["paid"])] == {
        "id": str(ids["paid"]),
        "account_id": str(ids["eur"]),
        "status": "booked",
        "transaction_date": "2026-11-03",
        "booking_date": "2026-11-02",
        "value_date": None,
        "amount": {"amount": "123.45", "currency": "EUR"},
        "direction": "credit",
        "counterparty_name": "Müller & Söhne",
        "counterparty_iban": "DE89 **** 3000",
        "remittance": "INV-1001",
    }
    pending = by_id[str(ids["pending"])]
    assert (pending["status"], pending["booking_date"]) == ("pending", None)
    assert by_id[str(ids["fee"])]["direction"] == "debit"
    yen = by_id[str(ids["yen"])]
    assert (yen["account_id"], yen["amount"]) == (
        str(ids["jpy"]),
        {"amount": "1500", "currency": "JPY"},
    )


def test_pages_follow_the_cursor_newest_first(api: Api) -> None:
    owner = new_member(api)
    headers = owner.headers()
    ids = seed(owner)
    seen: list[str] = []
    cursor = None
    while True:
        query = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = ok(api.client().get(LIST, query_string=query, headers=headers))
        seen += [item["id"] for item in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    newest_first = ["pending", "paid", "fee", "yen"]
    assert seen == [str(ids[name]) for name in newest_first]


def test_each_filter_narrows_the_list(api: Api) -> None:
    owner = new_member(api)
    headers = owner.headers()
    ids = seed(owner)

    def names(**query: Any) -> set[str]:
        found = {item["id"] for item in listed(owner, headers, **query)}
        return {name for name, id_ in ids.items() if str(id_) in found}

    assert names(account_id=ids["jpy"]) == {"yen"}
    assert names(status="pending") == {"pending"}
    assert names(direction="debit") == {"fee"}
    assert names(direction="credit") == {"paid", "pending", "yen"}
    assert names(date_from="2026-11-01", date_to="2026-11-03") == {"paid", "fee"}
    assert names(currency="jpy") == {"yen"}
    assert names(amount_min="9.90", amount_max="123.45", currency="EUR") == {"paid", "pending"}
    assert names(amount_max="-1") == {"fee"}
    assert names(q="inv-100") == {"paid", "pending"}
    assert names(q="Müller") == {"paid"}
    assert names(q="MULLER") == {"paid"}


def test_another_tenants_transactions_are_not_listed(api: Api) -> None:
    owner, stranger = new_member(api), new_member(api)
    seed(owner)
    assert listed(stranger, stranger.headers()) == []


def test_the_export_holds_what_the_same_filters_list(api: Api) -> None:
    owner = new_member(api)
    headers = owner.headers()
    ids = seed(owner)
    query = {"direction": "credit", "q": "inv", "date_to": "2026-11-03"}
    response = api.client().get(f"{LIST}/export.csv", query_string=query, headers=headers)
    assert response.status_code == 200
    lines = response.get_data(as_text=True).splitlines()
    exported = {line.split(",")[0] for line in lines[1:]}
    assert exported == {item["id"] for item in listed(owner, headers, **query)}
    assert exported == {str(ids["paid"]), str(ids["yen"])}
