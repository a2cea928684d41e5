"""Running the engine over a tenant's synced invoices and bank transactions, through the API."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import func, select

from payymo.banking.models import AccountSource, BankAccount, BankTransaction, TransactionStatus
from payymo.invoicing.models import Invoice, InvoiceStatus
from payymo.reconciliation.models import Decision, Posting
from tests.integration.api.conftest import Api, Member, new_member
from tests.integration.api.helpers import ok

RUN = "/api/v1/reconciliation/run"


def books(api: Api) -> tuple[Member, dict[str, uuid.UUID]]:
    owner = new_member(api)
    t = owner.tenant_id
    with api.services.db.unit_of_work(t) as session:
        account = BankAccount(
            tenant_id=t,
            source=AccountSource.UPLOAD,
            provider_account_id="a1",
            name="Main",
            currency="EUR",
        )
        session.add(account)
        for number, amount, status in (
            (1024, 2900, InvoiceStatus.UNPAID),
            (1025, 2900, InvoiceStatus.UNPAID),
            (1026, 999, InvoiceStatus.PAID),
        ):
            session.add(
                Invoice(
                    tenant_id=t,
                    whmcs_invoice_id=number,
                    whmcs_client_id=7,
                    client_name="Anna Muller",
                    status=status,
                    currency="EUR",
                    total_minor=amount,
                    balance_minor=0 if status is InvoiceStatus.PAID else amount,
                )
            )
        session.flush()
        ids = {}
        for key, text, amount in (
            ("clear", "Invoice 1024", 2900),
            ("amount", "hosting", 2900),
            ("paid", "Invoice 1026", 999),
            ("debit", "AWS", -5000),
        ):
            row = BankTransaction(
                tenant_id=t,
                account_id=account.id,
                provider_transaction_id=key,
                content_hash=key,
                status=TransactionStatus.BOOKED,
                booking_date=date(2026, 11, 20),
                transaction_date=date(2026, 11, 20),
                amount_minor=amount,
                currency="EUR",
                counterparty_name="Anna Muller",
                remittance=text,
            )
            session.add(row)
            session.flush()
            ids[key] = row.id
    return owner, ids


def test_running_decides_each_booked_transaction_with_reasons(api: Api) -> None:
    owner, ids = books(api)
    headers = owner.headers()
    result = ok(api.client().post(RUN, headers=headers))
    assert result["decided"] == 4
    assert result["by_status"] == {"auto": 1, "review": 2, "ignored": 1}

    clear = ok(api.client().get(f"/api/v1/transactions/{ids['clear']}", headers=headers))
    assert clear["decision"]["status"] == "auto"
    assert clear["decision"]["shadow"] is True  # auto-posting is off by default
    assert clear["decision"]["allocations"][0]["amount"] == {"amount": "29.00", "currency": "EUR"}
    assert clear["decision"]["reasons"][0]["code"] == "reference_exact"
    paid = ok(api.client().get(f"/api/v1/transactions/{ids['paid']}", headers=headers))
    assert paid["decision"]["status"] == "review"
    assert "invoice_not_open" in [r["code"] for r in paid["decision"]["reasons"]]


def test_running_twice_changes_nothing(api: Api) -> None:
    owner, _ = books(api)
    headers = owner.headers()
    ok(api.client().post(RUN, headers=headers))
    again = ok(api.client().post(RUN, headers=headers))
    assert again["decided"] == 0
    assert again["unchanged"] == 4
    with api.services.db.unit_of_work(owner.tenant_id) as session:
        count = session.scalar(select(func.count()).where(Decision.tenant_id == owner.tenant_id))
    assert count == 4


def test_a_proposed_decision_is_replaced_when_the_facts_change(api: Api) -> None:
    owner, ids = books(api)
    headers = owner.headers()
    ok(api.client().post(RUN, headers=headers))
    with api.services.db.unit_of_work(owner.tenant_id) as session:
        invoice = session.scalars(
            select(Invoice).where(
                Invoice.tenant_id == owner.tenant_id, Invoice.whmcs_invoice_id == 1024
            )
        ).one()
        invoice.status, invoice.balance_minor = InvoiceStatus.PAID, 0
    result = ok(api.client().post(RUN, headers=headers))
    assert result["decided"] >= 1
    clear = ok(api.client().get(f"/api/v1/transactions/{ids['clear']}", headers=headers))
    assert clear["decision"]["status"] == "review"
    with api.services.db.unit_of_work(owner.tenant_id) as session:
        rows = session.scalars(
            select(Decision).where(
                Decision.tenant_id == owner.tenant_id, Decision.bank_transaction_id == ids["clear"]
            )
        ).all()
    assert sorted(r.state.value for r in rows) == ["proposed", "superseded"]


def _auto_post(api: Api, headers: dict[str, str]) -> None:
    settings = ok(api.client().get("/api/v1/settings", headers=headers))
    settings["matching"].update({"auto_post": True, "shadow_mode": False})
    ok(api.client().put("/api/v1/settings", headers=headers, json=settings))


def _postings_of(api: Api, tenant_id: uuid.UUID) -> list[Posting]:
    with api.services.db.unit_of_work(tenant_id) as session:
        return list(session.scalars(select(Posting).where(Posting.tenant_id == tenant_id)))


def test_with_auto_posting_on_a_sure_match_is_applied_and_queued_once(api: Api) -> None:
    owner, ids = books(api)
    headers = owner.headers()
    _auto_post(api, headers)
    ok(api.client().post(RUN, headers=headers))
    clear = ok(api.client().get(f"/api/v1/transactions/{ids['clear']}", headers=headers))
    assert (clear["decision"]["state"], clear["decision"]["shadow"]) == ("applied", False)
    [posting] = _postings_of(api, owner.tenant_id)
    assert (posting.whmcs_invoice_id, posting.amount_minor) == (1024, 2900)
    ok(api.client().post(RUN, headers=headers))
    assert len(_postings_of(api, owner.tenant_id)) == 1


def test_money_already_applied_to_an_invoice_is_not_claimed_again(api: Api) -> None:
    owner, ids = books(api)
    headers = owner.headers()
    _auto_post(api, headers)
    ok(api.client().post(RUN, headers=headers))
    # The customer pays invoice 1024 a second time; WHMCS's snapshot has not caught up yet.
    with api.services.db.unit_of_work(owner.tenant_id) as session:
        first = session.get(BankTransaction, ids["clear"])
        assert first is not None
        again = BankTransaction(
            tenant_id=owner.tenant_id,
            account_id=first.account_id,
            provider_transaction_id="again",
            content_hash="again",
            status=TransactionStatus.BOOKED,
            booking_date=date(2026, 11, 21),
            transaction_date=date(2026, 11, 21),
            amount_minor=2900,
            currency="EUR",
            counterparty_name="Anna Muller",
            remittance="Invoice 1024",
        )
        session.add(again)
        session.flush()
        again_id = again.id
    ok(api.client().post(RUN, headers=headers))
    assert len(_postings_of(api, owner.tenant_id)) == 1
    detail = ok(api.client().get(f"/api/v1/transactions/{again_id}", headers=headers))
    assert detail["decision"]["status"] == "review"
    assert "invoice_not_open" in [r["code"] for r in detail["decision"]["reasons"]]


def _review_queue(api: Api, headers: dict[str, str]) -> list[dict[str, object]]:
    items: list[dict[str, object]] = []
    cursor = None
    while True:
        query = f"?limit=1&cursor={cursor}" if cursor else "?limit=1"
        page = ok(api.client().get(f"/api/v1/review{query}", headers=headers))
        items += page["data"]
        if (cursor := page["next_cursor"]) is None:
            return items


def _stored(api: Api, tenant_id: uuid.UUID) -> dict[str, int]:
    with api.services.db.unit_of_work(tenant_id) as session:
        rows = session.execute(
            select(Decision.status, func.count())
            .where(Decision.tenant_id == tenant_id, Decision.is_current.is_(True))
            .group_by(Decision.status)
        ).all()
    return {status.value: n for status, n in rows}


def test_a_run_counts_what_it_stored_and_the_review_queue_it_leaves(api: Api) -> None:
    owner, _ = books(api)
    headers = owner.headers()

    first = ok(api.client().post(RUN, headers=headers))
    queue = _review_queue(api, headers)

    assert sum(first["by_status"].values()) == first["decided"]
    assert first["by_status"] == _stored(api, owner.tenant_id)
    assert first["by_status"]["review"] == first["in_review"] == len(queue) == 2


def test_a_decision_a_person_settled_is_not_counted_again_by_the_next_run(api: Api) -> None:
    owner, _ = books(api)
    headers = owner.headers()
    ok(api.client().post(RUN, headers=headers))
    settled = _review_queue(api, headers)[0]["decision"]
    reject = f"/api/v1/decisions/{settled['id']}/reject"  # type: ignore[index]
    assert api.client().post(reject, headers=headers).status_code == 204

    again = ok(api.client().post(RUN, headers=headers))

    # The engine still reads the rejected payment as one to review, but stores nothing for it.
    assert (again["decided"], again["by_status"], again["unchanged"]) == (0, {}, 4)
    assert again["in_review"] == len(_review_queue(api, headers)) == 1
