"""The engine's shortcuts give the answers of the plain way they replaced."""

from __future__ import annotations

import gc
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from payymo.reconciliation.engine import Rules, Status, decide_all
from payymo.reconciliation.engine import references as refs
from payymo.reconciliation.engine.batch import collector_paused
from payymo.reconciliation.engine.index import InvoiceIndex, _slips
from tests.unit.reconciliation.test_engine import invoice, tx

# Pieces that make the number patterns meet, overlap and compete for the same characters.
WORDS = ["EUR", "AUD", "AUG", "SEP", "SEK", "TEL", "PHONE", "FAX", "JAN", "NOV", "DE", "GB"]
pieces = st.sampled_from([*"0123456789 ./-,+:€$£QX\t٣", *WORDS, "2026", "INV", "RF18", "-00042"])
texts = st.lists(pieces, max_size=16).map("".join)


def spans(pattern: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    return [m.span() for m in pattern.finditer(text)]


_DIGIT_LED = [rf"\b{p}" for p in refs._STARTS_WITH_DIGIT]
_LETTER_LED = [rf"\b{p}" for p in refs._STARTS_WITH_LETTER]
ONE_BY_ONE = re.compile("|".join([*_DIGIT_LED, *_LETTER_LED, *refs._ANYWHERE]))
# Patterns of different groups never compete for the same start: their order is free.
OTHER_ORDER = re.compile("|".join([*refs._ANYWHERE, *_LETTER_LED, *_DIGIT_LED]))
BACKTRACKING_COMPOUND = re.compile(r"[A-Z0-9]+(?:[/-][A-Z0-9]+)+|[A-Z]+\d+[A-Z0-9]*")


@settings(max_examples=500, deadline=None)
@given(texts)
def test_grouped_number_patterns_match_what_trying_each_in_turn_matches(text: str) -> None:
    expected = spans(ONE_BY_ONE, text)
    assert spans(refs._NOT_REFERENCES, text) == expected
    assert spans(OTHER_ORDER, text) == expected


@settings(max_examples=500, deadline=None)
@given(texts)
def test_compound_tokens_are_found_as_by_the_backtracking_pattern(text: str) -> None:
    assert spans(refs._COMPOUND, text) == spans(BACKTRACKING_COMPOUND, text)


ids = st.text("0123456789", min_size=1, max_size=5)


@settings(max_examples=100, deadline=None)
@given(st.sets(ids, min_size=1, max_size=60), st.lists(ids, max_size=10))
def test_near_misses_are_the_open_invoices_one_slip_away(
    numbers: set[str], asked: list[str]
) -> None:
    invoices = [
        invoice(n, status="Unpaid" if i % 3 else "Paid") for i, n in enumerate(sorted(numbers))
    ]
    index = InvoiceIndex.build(invoices)
    for number in [*asked, *sorted(numbers)[:10]]:
        slipped = (index.by_id.get(key) for key in _slips(number))
        expected = {i.id for i in slipped if i is not None and i.is_open}
        assert {i.id for i in index.near_misses(number)} == expected


def test_of_several_mistyped_numbers_the_best_fitting_rival_is_named() -> None:
    ours = invoice("1024", client="1", name="Bert Jansen")
    close = invoice("1042", client="2", name="Anna Mullen")
    closer = invoice("1204", client="3", name="Anna Muller")
    for invoices in ([ours, close, closer], [closer, close, ours]):
        (decision,) = decide_all([tx("Invoice 1024", payer="Anna Muller")], invoices, Rules())
        assert decision.status is Status.REVIEW
        (typo,) = [r for r in decision.reasons if r.code == "possible_typo"]
        assert typo.text.startswith("invoice 1204 fits the payer better (100 vs ")


def test_an_iban_learned_from_an_automatic_payment_backs_a_bare_number_later() -> None:
    invoices = [invoice("1024", client="1"), invoice("1025", 500, client="1")]
    labelled = tx("Invoice 1024", id="t1", payer="A. M. Holdings", iban="DE01")
    bare = tx("1025", 500, id="t2", payer="A. M. Holdings", iban="DE01")
    stranger = tx("1025", 500, id="t3", payer="A. M. Holdings", iban="DE02")
    decisions = {d.transaction_id: d for d in decide_all([labelled, bare], invoices, Rules())}
    assert decisions["t1"].status is Status.AUTO
    assert decisions["t2"].status is Status.AUTO
    assert any(r.code == "payer_matches" for r in decisions["t2"].reasons)
    (alone,) = decide_all([labelled, stranger], invoices, Rules())[1:]
    assert alone.status is Status.REVIEW


def test_a_paused_collector_is_resumed_only_by_whoever_paused_it() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_of_two_deliveries_with_one_id_the_greater_text_is_decided_in_any_order() -> None:
    invoices = [invoice("1024"), invoice("1025")]
    first, second = tx("Invoice 1024", id="t1"), tx("Invoice 1025", id="t1")
    for order in ([first, second], [second, first]):
        (decision,) = decide_all(order, invoices, Rules())
        assert [a.invoice_id for a in decision.allocations] == ["1025"]
