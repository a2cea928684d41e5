"""Accuracy on the generated corpus: the issue's bar is auto precision >= 99.9% and >= 95% of
clear payments (reference + exact amount) automatic."""

from __future__ import annotations

from datetime import date

import pytest

from payymo.reconciliation.corpus import BY_NAME, generate_corpus
from payymo.reconciliation.engine import Rules, Status, decide_all
from payymo.reconciliation.offline import decisions_body, parse_invoices, parse_transactions


@pytest.mark.parametrize(("seed", "invoices", "transactions"), [(11, 3000, 2500), (12, 800, 4000)])
def test_auto_precision_and_clear_recall_meet_the_bar(
    seed: int, invoices: int, transactions: int
) -> None:
    corpus = generate_corpus(
        seed=seed, invoices=invoices, transactions=transactions, today=date(2026, 11, 26)
    )
    decisions = decide_all(
        parse_transactions(corpus.transactions_body), parse_invoices(corpus.invoices_body), Rules()
    )
    autos = wrong = clear = clear_auto = 0
    for decision in decisions_body(decisions)["decisions"]:
        truth = corpus.truth.get(decision["transaction_id"])
        if truth is None:
            continue
        if truth["clear"]:
            clear += 1
            clear_auto += decision["status"] == Status.AUTO.value
        if decision["status"] == Status.AUTO.value:
            autos += 1
            got = sorted((a["invoice_id"], a["amount"]) for a in decision["allocations"])
            want = sorted((a["invoice_id"], a["amount"]) for a in truth["invoices"])
            wrong += got != want or BY_NAME[truth["kind"]].auto == "never"
    assert autos > 0
    assert clear > 0
    assert 1 - wrong / autos >= 0.999, f"{wrong} wrong of {autos} automatic decisions"
    assert clear_auto / clear >= 0.95, f"only {clear_auto} of {clear} clear payments automatic"
