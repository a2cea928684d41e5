"""The Stripe leg of the engine: card payments to invoices, payouts to bank credits."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from payymo.reconciliation.engine import EngineInvoice, EngineTransaction, Rules, Status
from payymo.reconciliation.engine.cards import EngineCardPayment, decide_card_payments
from payymo.reconciliation.engine.payouts import EnginePayout, match_payouts

RULES = Rules()


def invoice(number: int, balance: int = 2900, **kw: object) -> EngineInvoice:
    values: dict[str, object] = {
        "id": str(number),
        "number": "",
        "client_id": "7",
        "client_name": "Anna Muller",
        "company_name": "",
        "status": "Unpaid",
        "currency": "EUR",
        "total_minor": balance,
        "balance_minor": balance,
        **kw,
    }
    return EngineInvoice(**values)  # type: ignore[arg-type]


def card(pid: str = "p1", amount: int = 2900, fee: int = 72, **kw: object) -> EngineCardPayment:
    values: dict[str, object] = {
        "id": pid,
        "status": "succeeded",
        "amount_minor": amount,
        "fee_minor": fee,
        "refunded_minor": 0,
        "currency": "EUR",
        **kw,
    }
    return EngineCardPayment(**values)  # type: ignore[arg-type]


def decide_one(payment: EngineCardPayment, *invoices: EngineInvoice):  # type: ignore[no-untyped-def]
    [decision] = decide_card_payments([payment], list(invoices), RULES)
    return decision


def codes(decision) -> set[str]:  # type: ignore[no-untyped-def]
    return {r.code for r in decision.reasons}


def test_metadata_invoice_and_exact_amount_post_the_net_with_stripes_fee() -> None:
    decision = decide_one(card(invoice_id="1024"), invoice(1024), invoice(1025))
    assert decision.status is Status.AUTO
    [allocation] = decision.allocations
    assert (allocation.invoice_id, allocation.amount_minor, allocation.fee_minor) == (
        "1024",
        2828,
        72,
    )


def test_a_labelled_reference_in_the_description_is_enough() -> None:
    decision = decide_one(card(description="Invoice #1025"), invoice(1024), invoice(1025))
    assert decision.status is Status.AUTO
    assert decision.allocations[0].invoice_id == "1025"


def test_a_bare_number_in_the_description_is_not_enough() -> None:
    decision = decide_one(card(description="order 1025"), invoice(1024), invoice(1025))
    assert decision.status is not Status.AUTO


def test_metadata_and_description_that_disagree_go_to_review() -> None:
    decision = decide_one(
        card(invoice_id="1024", description="Invoice #1025"), invoice(1024), invoice(1025)
    )
    assert decision.status is Status.REVIEW
    assert "conflicting_references" in codes(decision)
    assert decision.allocations == ()


def test_partial_over_currency_and_closed_invoices_go_to_review() -> None:
    partial = decide_one(card(invoice_id="1024", amount=1000), invoice(1024))
    assert partial.status is Status.REVIEW
    assert "partial" in codes(partial)
    assert partial.allocations[0].amount_minor + partial.allocations[0].fee_minor == 1000

    over = decide_one(card(invoice_id="1024", amount=3500), invoice(1024))
    assert over.status is Status.REVIEW
    assert "overpaid" in codes(over)
    assert over.allocations[0].amount_minor + over.allocations[0].fee_minor == 2900

    usd = decide_one(card(invoice_id="1024", currency="USD"), invoice(1024))
    assert (usd.status, usd.allocations) == (Status.REVIEW, ())
    assert "wrong_currency" in codes(usd)

    paid = decide_one(card(invoice_id="1024"), invoice(1024, status="Paid", balance_minor=0))
    assert paid.status is Status.REVIEW
    assert "invoice_not_open" in codes(paid)


def test_failed_and_refunded_payments_are_ignored_and_partly_refunded_reviewed() -> None:
    assert decide_one(card(status="failed", invoice_id="1024"), invoice(1024)).status is (
        Status.IGNORED
    )
    refunded = card(invoice_id="1024", refunded_minor=2900)
    assert decide_one(refunded, invoice(1024)).status is Status.IGNORED
    partly = decide_one(card(invoice_id="1024", refunded_minor=900), invoice(1024))
    assert partly.status is Status.REVIEW
    assert "partly_refunded" in codes(partly)


def test_a_known_customer_is_a_suggestion_never_auto() -> None:
    named = card("p1", invoice_id="1024", customer_id="cus_1")
    unnamed = card("p2", customer_id="cus_1")
    decisions = decide_card_payments(
        [named, unnamed], [invoice(1024, status="Paid", balance_minor=0), invoice(1030)], RULES
    )
    by_id = {d.transaction_id: d for d in decisions}
    assert by_id["p2"].status is Status.REVIEW
    assert by_id["p2"].allocations[0].invoice_id == "1030"
    assert "customer_amount" in codes(by_id["p2"])
    stranger = decide_one(card(customer_id="cus_9"), invoice(1024))
    assert stranger.status is Status.UNMATCHED


@given(
    amount=st.integers(1, 10_000),
    fee=st.integers(0, 500),
    refunded=st.integers(0, 10_000),
    balance=st.integers(1, 10_000),
    currency=st.sampled_from(["EUR", "USD"]),
    order=st.booleans(),
)
def test_card_allocations_never_exceed_the_payment_or_the_balance(
    *, amount: int, fee: int, refunded: int, balance: int, currency: str, order: bool
) -> None:
    payments = [
        card("a", amount, min(fee, amount), invoice_id="1024", refunded_minor=refunded),
        card("b", amount, min(fee, amount), description="Invoice 1025", currency=currency),
    ]
    invoices = [invoice(1024, balance), invoice(1025, balance, currency="EUR")]
    decisions = decide_card_payments(payments if order else payments[::-1], invoices, RULES)
    assert decisions == decide_card_payments(payments[::-1], invoices[::-1], RULES)
    for decision, payment in zip(decisions, payments, strict=True):
        total = sum(a.amount_minor + a.fee_minor for a in decision.allocations)
        assert total <= payment.amount_minor - payment.refunded_minor or not decision.allocations
        assert total <= balance
        if decision.allocations:
            assert payment.currency == "EUR"


def credit(tid: str, amount: int, day: date, text: str = "") -> EngineTransaction:
    return EngineTransaction(tid, True, amount, "EUR", day, text)


ARRIVAL = date(2026, 11, 20)


def test_a_payout_takes_the_stripe_credit_of_its_amount_near_its_arrival() -> None:
    payouts = [EnginePayout("po_1", 123_456, "EUR", ARRIVAL)]
    credits = [
        credit("customer", 123_456, ARRIVAL, "Invoice 1024"),
        credit("stripe", 123_456, date(2026, 11, 21), "STRIPE PAYMENTS UK"),
        credit("far", 123_456, date(2026, 12, 10), "STRIPE"),
    ]
    assert match_payouts(payouts, credits) == {"po_1": "stripe"}


def test_an_ambiguous_payout_is_left_alone() -> None:
    payouts = [EnginePayout("po_1", 5_000, "EUR", ARRIVAL)]
    unlabelled = [credit("a", 5_000, ARRIVAL), credit("b", 5_000, ARRIVAL)]
    assert match_payouts(payouts, unlabelled) == {}
    tied = [credit("a", 5_000, ARRIVAL, "STRIPE"), credit("b", 5_000, ARRIVAL, "STRIPE")]
    assert match_payouts(payouts, tied) == {}
    assert match_payouts(payouts, [credit("a", 5_000, ARRIVAL)]) == {"po_1": "a"}


def test_each_credit_pays_out_at_most_one_payout() -> None:
    payouts = [
        EnginePayout("po_1", 5_000, "EUR", ARRIVAL),
        EnginePayout("po_2", 5_000, "EUR", date(2026, 11, 21)),
    ]
    credits = [
        credit("a", 5_000, ARRIVAL, "STRIPE"),
        credit("b", 5_000, date(2026, 11, 22), "STRIPE"),
    ]
    assert match_payouts(payouts, credits) == {"po_1": "a", "po_2": "b"}
    assert match_payouts(payouts[::-1], credits[::-1]) == {"po_1": "a", "po_2": "b"}
    wrong_currency = [replace(credits[0], currency="USD")]
    assert match_payouts(payouts[:1], wrong_currency) == {}


def test_a_card_overpayments_surplus_is_said_in_its_currency() -> None:
    over = decide_one(card(invoice_id="1024", amount=3401), invoice(1024))
    [reason] = [r for r in over.reasons if r.code == "overpaid"]
    assert reason.text == "the payment exceeds the balance by 5.01 EUR: credit it"
