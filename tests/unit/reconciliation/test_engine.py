"""The engine's policy, case by case, and its invariants as properties."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from payymo.reconciliation.engine import (
    Decision,
    EngineInvoice,
    EngineTransaction,
    Rules,
    Status,
    decide_all,
)


def invoice(
    id: str,
    amount: int = 999,
    *,
    client: str = "1",
    name: str = "Anna Muller",
    company: str = "",
    status: str = "Unpaid",
    currency: str = "EUR",
    balance: int | None = None,
    number: str = "",
) -> EngineInvoice:
    return EngineInvoice(
        id=id,
        number=number,
        client_id=client,
        client_name=name,
        company_name=company,
        status=status,
        currency=currency,
        total_minor=amount,
        balance_minor=amount if balance is None else balance,
        issued=date(2026, 11, 1),
        due=date(2026, 11, 15),
    )


def tx(
    text: str,
    amount: int = 999,
    *,
    id: str = "t1",
    payer: str = "Anna Muller",
    currency: str = "EUR",
    booked: bool = True,
    iban: str | None = None,
) -> EngineTransaction:
    return EngineTransaction(
        id=id,
        booked=booked,
        amount_minor=amount,
        currency=currency,
        day=date(2026, 11, 20),
        text=text,
        counterparty=payer,
        counterparty_iban=iban,
    )


def one(transaction: EngineTransaction, *invoices: EngineInvoice) -> Decision:
    (decision,) = decide_all([transaction], list(invoices), Rules())
    return decision


def test_a_clear_reference_with_the_exact_amount_is_auto() -> None:
    decision = one(tx("Invoice 1024"), invoice("1024"), invoice("1025"))
    assert decision.status is Status.AUTO
    assert [(a.invoice_id, a.amount_minor) for a in decision.allocations] == [("1024", 999)]
    assert any(r.code == "reference_exact" for r in decision.reasons)


def test_amount_alone_is_never_auto_while_other_invoices_share_it() -> None:
    decision = one(
        tx("Hosting", payer="Somebody Else"), invoice("1024"), invoice("1025", client="2")
    )
    assert decision.status is not Status.AUTO


def test_the_old_substring_mistake_does_not_happen() -> None:
    # The prototype matched invoice 12 inside "inv1234".
    decision = one(tx("inv1234", 500), invoice("12", 500), invoice("1234", 999))
    assert decision.status is not Status.AUTO or decision.allocations[0].invoice_id != "12"


def test_a_transfer_paying_two_listed_invoices_is_split() -> None:
    decision = one(tx("INV 1024 + 1025", 1998), invoice("1024"), invoice("1025"))
    assert decision.status is Status.AUTO
    assert sorted(a.invoice_id for a in decision.allocations) == ["1024", "1025"]


def test_a_partial_payment_goes_to_review_with_the_partial_allocation() -> None:
    decision = one(tx("Invoice 1024", 500), invoice("1024", 2000))
    assert decision.status is Status.REVIEW
    assert decision.allocations[0].amount_minor == 500


def test_an_overpayment_goes_to_review_suggesting_a_credit() -> None:
    decision = one(tx("Invoice 1024", 1500), invoice("1024", 999))
    assert decision.status is Status.REVIEW
    assert any(r.code == "overpayment" for r in decision.reasons)


@pytest.mark.parametrize(
    ("currency", "surplus"), [("EUR", "5.01 EUR"), ("JPY", "501 JPY"), ("BHD", "0.501 BHD")]
)
def test_an_overpayments_surplus_is_said_in_its_currency(currency: str, surplus: str) -> None:
    decision = one(
        tx("Invoice 1024", 1500, currency=currency), invoice("1024", 999, currency=currency)
    )
    [reason] = [r for r in decision.reasons if r.code == "overpayment"]
    assert reason.text.endswith(f"credit the surplus of {surplus}")
    assert "minor units" not in reason.text


def test_a_bank_fee_within_tolerance_is_posted_as_fees() -> None:
    decision = one(tx("Invoice 1024", 2850), invoice("1024", 2900))
    assert decision.status is Status.AUTO
    assert decision.allocations[0].fee_minor == 50


def test_another_currency_goes_to_review() -> None:
    decision = one(tx("Invoice 1024", currency="GBP"), invoice("1024"))
    assert decision.status is Status.REVIEW
    assert any(r.code == "currency_mismatch" for r in decision.reasons)


@pytest.mark.parametrize("status", ["Paid", "Cancelled", "Draft", "Refunded"])
def test_a_reference_to_a_closed_invoice_is_a_possible_duplicate(status: str) -> None:
    decision = one(tx("Invoice 1024"), invoice("1024", status=status))
    assert decision.status is Status.REVIEW
    assert any(r.code == "invoice_not_open" for r in decision.reasons)


def test_a_pending_transaction_waits() -> None:
    assert one(tx("Invoice 1024", booked=False), invoice("1024")).status is Status.REVIEW


@pytest.mark.parametrize("text", ["Card refund", "STRIPE PAYOUT", "Stripe transfer"])
def test_debits_and_stripe_payouts_are_ignored(text: str) -> None:
    amount = -999 if "refund" in text.lower() else 999
    assert one(tx(text, amount, payer="Stripe"), invoice("1024")).status is Status.IGNORED


def test_a_mistyped_number_that_fits_another_client_better_is_not_auto() -> None:
    ours = invoice("1024", client="1", name="Anna Muller")
    theirs = invoice("1042", client="2", name="Bert Jansen")
    decision = one(tx("Invoice 1042", payer="Anna Muller"), ours, theirs)
    assert decision.status is Status.REVIEW
    assert any(r.code == "possible_typo" for r in decision.reasons)


def test_the_same_transaction_delivered_twice_is_decided_once() -> None:
    decisions = decide_all([tx("Invoice 1024"), tx("Invoice 1024")], [invoice("1024")], Rules())
    assert len(decisions) == 1


def test_an_unreferenced_payment_of_one_clients_open_invoices_is_suggested() -> None:
    invoices = [invoice("1", 500), invoice("2", 700), invoice("3", 900, client="9", name="Zed")]
    decision = one(tx("Hosting", 1200), *invoices)
    assert decision.status is Status.REVIEW
    assert sorted(a.invoice_id for a in decision.allocations) == ["1", "2"]


amounts = st.integers(min_value=1, max_value=50_000)
currencies = st.sampled_from(["EUR", "GBP"])


@st.composite
def books(draw: st.DrawFn) -> tuple[list[EngineTransaction], list[EngineInvoice]]:
    invoices = [
        invoice(
            str(1000 + n),
            draw(amounts),
            client=str(draw(st.integers(1, 5))),
            currency=draw(currencies),
            status=draw(st.sampled_from(["Unpaid", "Paid"])),
        )
        for n in range(draw(st.integers(1, 8)))
    ]
    texts = st.one_of(
        st.sampled_from([f"Invoice {i.id}" for i in invoices] + ["hosting", "1001/1002"]),
        st.text(max_size=20),
    )
    transactions = [
        tx(draw(texts), draw(st.integers(-5000, 60_000)), id=f"t{n}", currency=draw(currencies))
        for n in range(draw(st.integers(1, 8)))
    ]
    return transactions, invoices


@settings(max_examples=200, deadline=None)
@given(books())
def test_allocations_never_exceed_the_payment_nor_an_invoice_balance(
    book: tuple[list[EngineTransaction], list[EngineInvoice]],
) -> None:
    transactions, invoices = book
    by_id = {i.id: i for i in invoices}
    amounts_by_tx = {t.id: t for t in transactions}
    for decision in decide_all(transactions, invoices, Rules()):
        total = sum(a.amount_minor for a in decision.allocations)
        assert total <= max(amounts_by_tx[decision.transaction_id].amount_minor, 0)
        for allocation in decision.allocations:
            assert (
                allocation.amount_minor + allocation.fee_minor
                <= by_id[allocation.invoice_id].balance_minor
            )
            if decision.status is Status.AUTO:
                assert by_id[allocation.invoice_id].currency == decision.currency
                assert by_id[allocation.invoice_id].status == "Unpaid"


@settings(max_examples=100, deadline=None)
@given(books(), st.randoms())
def test_decisions_are_deterministic_and_do_not_depend_on_input_order(
    book: tuple[list[EngineTransaction], list[EngineInvoice]], shuffler: object
) -> None:
    transactions, invoices = book
    first = decide_all(transactions, invoices, Rules())
    shuffled_tx, shuffled_inv = list(transactions), list(invoices)
    shuffler.shuffle(shuffled_tx)  # type: ignore[attr-defined]
    shuffler.shuffle(shuffled_inv)  # type: ignore[attr-defined]
    assert decide_all(shuffled_tx, shuffled_inv, Rules()) == first


def test_two_payments_that_both_clearly_pay_one_invoice_go_to_review() -> None:
    invoice = EngineInvoice(
        id="1024",
        number="",
        client_id="7",
        client_name="Anna Muller",
        company_name="",
        status="Unpaid",
        currency="EUR",
        total_minor=2900,
        balance_minor=2900,
    )
    day = date(2026, 11, 20)
    twice = [
        EngineTransaction(tid, True, 2900, "EUR", day, "Invoice 1024", "Anna Muller")
        for tid in ("first", "second")
    ]
    once = decide_all(twice[:1], [invoice], Rules())
    assert once[0].status is Status.AUTO
    both = decide_all(twice, [invoice], Rules())
    assert [d.status for d in both] == [Status.REVIEW, Status.REVIEW]
    for decision, other in zip(both, ("second", "first"), strict=True):
        assert decision.allocations  # still suggested to a person
        contested = [r for r in decision.reasons if r.code == "contested_invoice"]
        assert other in contested[0].text
