"""Why the runner-up candidates lost, and the lead over them that `auto` needs."""

from __future__ import annotations

from dataclasses import replace

from payymo.reconciliation.engine import Decision, EngineInvoice, Rules, Status, decide_all
from tests.unit.reconciliation.test_engine import invoice, tx


def decide(
    text: str, *invoices: EngineInvoice, rules: Rules | None = None, **kw: object
) -> Decision:
    return decide_all([tx(text, **kw)], invoices, rules or Rules())[0]  # type: ignore[arg-type]


def texts(decision: Decision) -> dict[str, str]:
    return {reason.code: reason.text for reason in decision.reasons}


def test_other_clients_invoices_of_the_amount_are_named_and_counted() -> None:
    rivals = [invoice(str(n), client=f"c{n}", name=f"Other Person {n}") for n in range(20, 25)]
    decision = decide("Invoice 10", invoice("10"), *rivals)
    assert decision.status is Status.AUTO
    assert texts(decision)["runner_up_amount"] == (
        "invoices 20, 21, 22 and 2 more of this amount lost: another client's, "
        "and the transaction names invoice 10"
    )


def test_the_clients_other_invoices_are_named_with_why_they_lost() -> None:
    decision = decide(
        "Invoice 10", invoice("10"), invoice("11"), invoice("12", 5000), invoice("13", 7000)
    )
    assert decision.status is Status.AUTO
    reasons = texts(decision)
    assert reasons["runner_up_same_client"] == (
        "the client's invoice 11 of the same amount lost: the transaction names invoice 10"
    )
    assert reasons["runner_up_balance"] == (
        "the client's invoices 12, 13 lost: not named, and the balance differs"
    )
    assert "runner_up_amount" not in reasons  # the client's own invoice is not another client's


def test_a_lead_under_the_tenants_margin_goes_to_review_naming_the_runner_up() -> None:
    invoices = (invoice("10"), invoice("11"))
    assert decide("Invoice 10", *invoices).status is Status.AUTO  # leads by 0.39 > 0.2
    strict = replace(Rules(), min_margin=0.5)
    decision = decide("Invoice 10", *invoices, rules=strict)
    assert decision.status is Status.REVIEW
    assert decision.allocations == decide("Invoice 10", *invoices).allocations
    assert texts(decision)["narrow_margin"] == (
        "leads the runner-up (invoice 11) by 0.39, less than the 0.50 required for "
        "automatic posting"
    )


def test_without_runners_up_the_margin_has_nothing_to_lead() -> None:
    decision = decide("Invoice 10", invoice("10"), rules=replace(Rules(), min_margin=1.0))
    assert decision.status is Status.AUTO
    assert not [code for code in texts(decision) if code.startswith(("runner_up", "narrow"))]


def test_other_currencies_are_not_runners_up() -> None:
    decision = decide("Invoice 10", invoice("10"), invoice("11", currency="USD"))
    assert "runner_up_same_client" not in texts(decision)
    assert "runner_up_balance" not in texts(decision)


def test_tied_candidates_are_named() -> None:
    tied = [invoice(str(n), client=f"c{n}", name=f"Someone Else {n}") for n in range(30, 34)]
    decision = decide("thanks", *tied, payer="Nobody Known")
    assert decision.status is Status.REVIEW
    assert texts(decision)["amount_only_ambiguous"] == (
        "invoices 30, 31, 32 and 1 more have this amount and nothing else links them: "
        "none is preferred"
    )
    sets = (invoice("40", 300), invoice("41", 700), invoice("42", 400), invoice("43", 600))
    decision = decide("thanks", *sets, amount=1000)
    assert decision.allocations == ()
    assert "(40, 41) and (" in texts(decision)["subset_tie"]


def test_with_a_bank_fee_the_invoices_balance_is_the_amount_rivals_are_weighed_at() -> None:
    rules = replace(Rules(), fee_tolerance_minor=50)
    decision = decide(
        "Invoice 10", invoice("10", 1000), invoice("11", 1000), rules=rules, amount=990
    )
    assert decision.status is Status.AUTO
    assert [(a.invoice_id, a.amount_minor, a.fee_minor) for a in decision.allocations] == [
        ("10", 990, 10)
    ]
    reasons = texts(decision)
    assert "invoice 11 of the same amount lost" in reasons["runner_up_same_client"]
    assert "runner_up_balance" not in reasons


def test_a_clients_many_invoices_are_counted_not_listed() -> None:
    same = [invoice(str(n)) for n in range(11, 16)]
    other = [invoice(str(n), 5000) for n in range(20, 27)]
    reasons = texts(decide("Invoice 10", invoice("10"), *same, *other))
    assert reasons["runner_up_same_client"].startswith(
        "the client's invoices 11, 12, 13 and 2 more of the same amount lost"
    )
    assert reasons["runner_up_balance"].startswith("the client's invoices 20, 21, 22 and 4 more")


def test_the_reasons_that_decide_come_before_the_runners_up() -> None:
    pending = decide("Invoice 10", invoice("10"), invoice("11"), booked=False)
    assert pending.status is Status.REVIEW
    codes = [reason.code for reason in pending.reasons]
    assert codes.index("pending") < codes.index("runner_up_same_client")
    twice = decide_all(
        [tx("Invoice 10", id="a"), tx("Invoice 10", id="b")],
        [invoice("10"), invoice("11")],
        Rules(),
    )
    for decision in twice:
        codes = [reason.code for reason in decision.reasons]
        assert codes.index("contested_invoice") < codes.index("runner_up_same_client")


def test_an_invoice_listed_twice_counts_once() -> None:
    decision = decide(
        "Invoice 10 Invoice 11", invoice("10"), invoice("10"), invoice("11"), amount=1998
    )
    assert [a.invoice_id for a in decision.allocations] == ["10", "11"]
    alone = decide(
        "thanks",
        invoice("30", client="c3", name="Someone Else"),
        invoice("30", client="c3", name="Someone Else"),
        payer="Nobody",
    )
    assert [r.code for r in alone.reasons] == ["amount_only"]


def test_an_invoice_named_by_id_and_by_number_is_paid_once() -> None:
    decision = decide("Invoice 12, INV-0012", invoice("12", number="INV-0012"))
    assert [(a.invoice_id, a.amount_minor) for a in decision.allocations] == [("12", 999)]
    assert decision.status is Status.AUTO


def test_the_margin_is_compared_in_hundredths() -> None:
    invoices = (invoice("10"), invoice("20", client="c2", name="Other Person"))
    # 0.97 (no name backs it) less 0.3 (another client's invoice of the amount) is 0.67.
    at = decide(
        "Invoice 10", *invoices, payer="Someone Else", rules=replace(Rules(), min_margin=0.67)
    )
    over = decide(
        "Invoice 10", *invoices, payer="Someone Else", rules=replace(Rules(), min_margin=0.68)
    )
    assert at.status is Status.AUTO
    assert over.status is Status.REVIEW
    assert "by 0.67, less than the 0.68" in texts(over)["narrow_margin"]


def test_an_overpayment_is_weighed_at_what_was_paid() -> None:
    decision = decide("Invoice 10", invoice("10", 1000), invoice("11", 1000), amount=1500)
    assert decision.status is Status.REVIEW
    reasons = texts(decision)
    assert "runner_up_same_client" not in reasons
    assert reasons["runner_up_balance"].startswith("the client's invoice 11 lost")
