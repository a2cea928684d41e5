"""The labelled reconciliation corpus: deterministic, shaped like the real APIs, truthful."""

from __future__ import annotations

import itertools
import json
import re
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from payymo.money import parse_amount
from payymo.reconciliation.corpus import (
    AUTO_EXPECTED,
    BY_NAME,
    KINDS,
    Corpus,
    generate_corpus,
)
from payymo.reconciliation.corpus.__main__ import main
from payymo.reconciliation.corpus.names import fold
from payymo.reconciliation.corpus.references import (
    MULTI_FORMATS,
    SINGLE_FORMATS,
    render_multi,
    render_single,
    rf_reference,
)

TODAY = date(2026, 11, 26)
FIXTURES = Path("/work/shared/fixtures")
UNPAYING = {"debit", "stripe_payout", "unrelated_credit"}
AMOUNT_RE = re.compile(r"^-?\d+\.\d{2}$")

Json = dict[str, Any]


def small(seed: int = 1, transactions: int = 400) -> Corpus:
    return generate_corpus(seed=seed, invoices=300, transactions=transactions, today=TODAY)


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    # Enough invoices for the full mix, and enough clients that client ids reach invoice ids.
    return generate_corpus(seed=3, invoices=4000, transactions=3000, today=TODAY)


@pytest.fixture(scope="module")
def invoices(corpus: Corpus) -> dict[str, Json]:
    return {str(row["id"]): row for row in corpus.invoices_body["invoices"]["invoice"]}


@pytest.fixture(scope="module")
def entries(corpus: Corpus) -> dict[str, Json]:
    """Every entry by its truth key (a duplicate delivery's two copies are equal)."""
    body = corpus.transactions_body["transactions"]
    booked = {e["transactionId"]: e for e in body["booked"]}
    return booked | {e["entryReference"]: e for e in body["pending"]}


def remittance(entry: Json) -> str:
    lines = entry.get("remittanceInformationUnstructuredArray", [])
    parts = [entry.get("remittanceInformationUnstructured", ""), " ".join(lines)]
    return " ".join([*parts, entry.get("remittanceInformationStructured", "")])


def normal(text: str) -> str:
    return " ".join(fold(text).lower().split())


def amount(entry: Json) -> Decimal:
    return parse_amount(entry["transactionAmount"]["amount"])


def balance(row: Json) -> Decimal:
    return parse_amount(row.get("balance", row["total"]))


def quotable(row: Json) -> list[str]:
    return [str(row["id"]), *([row["invoicenum"]] if row["invoicenum"] else [])]


def listed_renderings(rows: list[Json]) -> list[str]:
    """Every documented way to quote `rows`, with ids or invoice numbers."""
    if len(rows) == 1:
        numbers = quotable(rows[0])
        return [render_single(f, n) for f in SINGLE_FORMATS for n in numbers] + [
            rf_reference(n) for n in numbers
        ]
    choices = itertools.product(*(quotable(row) for row in rows))
    return [render_multi(f, list(c)) for c in choices for f in MULTI_FORMATS]


def quotes(text: str, rendering: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(normal(rendering))}(?!\d)", normal(text)) is not None


def floats_in(value: Any) -> list[float]:
    if isinstance(value, float):
        return [value]
    if isinstance(value, dict):
        return [f for v in value.values() for f in floats_in(v)]
    if isinstance(value, list):
        return [f for v in value for f in floats_in(v)]
    return []


def test_the_same_seed_gives_the_same_corpus() -> None:
    first, second = small(seed=5), small(seed=5)
    assert json.dumps(first.__dict__, sort_keys=True) == json.dumps(second.__dict__, sort_keys=True)


def test_another_seed_gives_another_corpus() -> None:
    assert small(seed=5).transactions_body != small(seed=6).transactions_body
    assert small(seed=5).invoices_body != small(seed=6).invoices_body


def test_invoices_do_not_move_when_transactions_grow() -> None:
    assert small(transactions=100).invoices_body == small(transactions=500).invoices_body


def test_the_invoices_body_has_the_get_invoices_shape(corpus: Corpus) -> None:
    fixture = json.loads((FIXTURES / "whmcs/GetInvoices.json").read_text())
    body = corpus.invoices_body
    assert body.keys() == fixture.keys()
    assert body["totalresults"] == body["numreturned"] == 4000
    model = fixture["invoices"]["invoice"][0]
    for row in body["invoices"]["invoice"]:
        assert set(row) - {"balance"} == set(model)
        assert all(type(row[k]) is type(model[k]) for k in model)
        assert all(AMOUNT_RE.match(row[k]) for k in ("subtotal", "tax", "total"))
        assert balance(row) <= parse_amount(row["total"])


def test_invoices_cover_statuses_currencies_numberings_and_partial_balances(
    invoices: dict[str, Json],
) -> None:
    rows = list(invoices.values())
    statuses = Counter(r["status"] for r in rows)
    assert set(statuses) >= {"Unpaid", "Paid", "Cancelled", "Draft", "Refunded", "Collections"}
    assert statuses.most_common(1)[0][0] == "Unpaid"
    assert {"EUR", "GBP", "USD"} < {r["currencycode"] for r in rows}
    assert len({r["currencycode"] for r in rows}) >= 5
    numbers = [r["invoicenum"] for r in rows]
    assert "" in numbers
    assert any(n and n != str(r["id"]) for n, r in zip(numbers, rows, strict=True))
    assert any("balance" in r and balance(r) < parse_amount(r["total"]) for r in rows)


def test_many_clients_share_the_same_plan_prices(invoices: dict[str, Json]) -> None:
    rows = list(invoices.values())
    assert len({r["userid"] for r in rows}) > 1000
    totals = Counter((r["total"], r["currencycode"]) for r in rows)
    assert totals[("29.00", "USD")] > 20
    assert totals.most_common(1)[0][1] > 100


def test_booked_and_pending_entries_have_the_gocardless_shape(corpus: Corpus) -> None:
    body = corpus.transactions_body["transactions"]
    for entry in body["booked"]:
        assert {"transactionId", "internalTransactionId", "bookingDate", "valueDate"} <= set(entry)
        date.fromisoformat(entry["bookingDate"])
    for entry in body["pending"]:
        assert not {"transactionId", "internalTransactionId", "bookingDate"} & set(entry)
    for entry in body["booked"] + body["pending"]:
        money = entry["transactionAmount"]
        assert set(money) == {"amount", "currency"}
        assert AMOUNT_RE.match(money["amount"])
        party = "debtor" if amount(entry) > 0 else "creditor"
        other = "creditor" if party == "debtor" else "debtor"
        assert f"{other}Name" not in entry
        assert f"{other}Account" not in entry
        assert isinstance(entry.get("remittanceInformationUnstructuredArray", []), list)


def test_the_fixture_entries_have_the_same_field_types(corpus: Corpus) -> None:
    fixture = json.loads((FIXTURES / "gocardless-bad/responses.json").read_text())
    model = fixture["AccountsEndpointMockData"]["GetTransactions"]["transactions"]["booked"][0]
    for entry in corpus.transactions_body["transactions"]["booked"][:200]:
        shared = set(model) & set(entry)
        assert {"transactionId", "transactionAmount", "bookingDate"} <= shared
        assert all(type(entry[k]) is type(model[k]) for k in shared)


def test_every_kind_is_present(corpus: Corpus) -> None:
    kinds = Counter(t["kind"] for t in corpus.truth.values())
    assert set(kinds) == set(KINDS)
    assert kinds["exact_reference"] > kinds["debit"] > kinds["stripe_payout"]


def test_every_entry_has_exactly_one_truth(corpus: Corpus, entries: dict[str, Json]) -> None:
    assert entries.keys() == corpus.truth.keys()
    booked = Counter(e["transactionId"] for e in corpus.transactions_body["transactions"]["booked"])
    repeated = {key for key, n in booked.items() if n > 1}
    assert repeated == {k for k, t in corpus.truth.items() if t["kind"] == "duplicate_delivery"}
    assert all(n == 2 for n in booked.values() if n > 1)


def test_truths_name_existing_invoices_in_the_right_state(
    corpus: Corpus, invoices: dict[str, Json]
) -> None:
    for truth in corpus.truth.values():
        assert bool(truth["invoices"]) == (truth["kind"] not in UNPAYING)
        states = {invoices[i["invoice_id"]]["status"] for i in truth["invoices"]}
        if truth["kind"] == "paid_or_cancelled_reference":
            assert states <= {"Paid", "Cancelled"}
        elif truth["invoices"]:
            assert states == {"Unpaid"}
        assert all(AMOUNT_RE.match(i["amount"]) for i in truth["invoices"])


def test_amounts_add_up_to_the_entry(corpus: Corpus, entries: dict[str, Json]) -> None:
    for key, truth in corpus.truth.items():
        if not truth["invoices"]:
            continue
        paid = sum(parse_amount(i["amount"]) for i in truth["invoices"])
        fee = parse_amount(truth.get("fee", "0"))
        excess = parse_amount(truth.get("excess", "0"))
        assert paid - fee + excess == amount(entries[key]), key


def test_clear_payments_quote_listed_formats_and_pay_exact_balances(
    corpus: Corpus, entries: dict[str, Json], invoices: dict[str, Json]
) -> None:
    clear = {k: t for k, t in corpus.truth.items() if t["clear"]}
    assert len(clear) > 1000
    for key, truth in clear.items():
        assert BY_NAME[truth["kind"]].auto == AUTO_EXPECTED
        rows = [invoices[i["invoice_id"]] for i in truth["invoices"]]
        entry = entries[key]
        assert entry["transactionAmount"]["currency"] == rows[0]["currencycode"]
        assert [parse_amount(i["amount"]) for i in truth["invoices"]] == [balance(r) for r in rows]
        assert any(quotes(remittance(entry), r) for r in listed_renderings(rows)), key


def test_auto_is_expected_only_for_clear_kinds(corpus: Corpus) -> None:
    for truth in corpus.truth.values():
        assert truth["clear"] == (BY_NAME[truth["kind"]].auto == AUTO_EXPECTED)


def test_fees_and_shortfalls_stay_in_their_ranges(corpus: Corpus, entries: dict[str, Json]) -> None:
    for key, truth in corpus.truth.items():
        if truth["kind"] == "fee_deducted":
            assert Decimal("0.02") <= parse_amount(truth["fee"]) <= Decimal("1.50")
        if truth["kind"] == "overpayment":
            assert parse_amount(truth["excess"]) > 0
        if truth["kind"] == "partial":
            assert amount(entries[key]) > 0


def test_partial_payments_are_at_least_two_units_short(
    corpus: Corpus, entries: dict[str, Json], invoices: dict[str, Json]
) -> None:
    partial = [(k, t) for k, t in corpus.truth.items() if t["kind"] == "partial"]
    for key, truth in partial:
        owed = balance(invoices[truth["invoices"][0]["invoice_id"]])
        assert owed - amount(entries[key]) >= 2


def test_typo_references_pay_exactly_but_never_quote_the_invoice(
    corpus: Corpus, entries: dict[str, Json], invoices: dict[str, Json]
) -> None:
    typos = [(k, t) for k, t in corpus.truth.items() if t["kind"] == "typo_reference"]
    for key, truth in typos:
        invoice_id = truth["invoices"][0]["invoice_id"]
        assert not re.search(rf"(?<!\d){invoice_id}(?!\d)", remittance(entries[key]))
        assert amount(entries[key]) == balance(invoices[invoice_id])


def test_unlisted_subsets_are_the_only_reading_of_the_amount(
    corpus: Corpus, invoices: dict[str, Json]
) -> None:
    for truth in (t for t in corpus.truth.values() if t["kind"] == "multi_subset"):
        client = invoices[truth["invoices"][0]["invoice_id"]]["userid"]
        rows = [r for r in invoices.values() if r["userid"] == client and r["status"] == "Unpaid"]
        sums = Counter(
            sum(balance(r) for r in combo)
            for size in range(1, len(rows) + 1)
            for combo in itertools.combinations(rows, size)
        )
        assert sums[sum(parse_amount(i["amount"]) for i in truth["invoices"])] == 1


def test_pending_twins_also_appear_booked(corpus: Corpus) -> None:
    booked = {
        tuple(i["invoice_id"] for i in t["invoices"])
        for t in corpus.truth.values()
        if t["kind"] == "exact_reference" and "twin" in t["traits"]
    }
    twins = [t for t in corpus.truth.values() if t["kind"] == "pending" and "twin" in t["traits"]]
    assert twins
    assert {tuple(i["invoice_id"] for i in t["invoices"]) for t in twins} == booked


def test_distractor_numbers_are_present(corpus: Corpus, entries: dict[str, Json]) -> None:
    traits = Counter(trait for t in corpus.truth.values() for trait in t["traits"])
    kinds = {"date", "sort_code", "phone", "account", "customer_number", "order_number", "amount"}
    assert all(traits[f"distractor:{kind}"] >= 5 for kind in kinds)
    clear_texts = " | ".join(remittance(entries[k]) for k, t in corpus.truth.items() if t["clear"])
    assert re.search(r"\b\d{2}\.\d{2}\.\d{4}\b", clear_texts)
    assert re.search(r"\b\d{4}-\d{2}-\d{2}\b", clear_texts)
    assert re.search(r"\b\d{2}-\d{2}-\d{2}\b", clear_texts)


def test_some_customer_and_order_numbers_equal_invoice_ids(
    corpus: Corpus, entries: dict[str, Json], invoices: dict[str, Json]
) -> None:
    texts = " | ".join(remittance(e) for e in entries.values())
    labelled = re.findall(r"(?i)(?:kundennr\.|client|order|bestellung) (\d+)", texts)
    assert sum(1 for number in labelled if number in invoices) >= 3


def test_payers_vary_and_their_ibans_repeat(corpus: Corpus, entries: dict[str, Json]) -> None:
    traits = Counter(trait for t in corpus.truth.values() for trait in t["traits"])
    for variant in ("initials", "reordered", "title", "accents_stripped", "absent", "spouse"):
        assert traits[f"payer:{variant}"] > 0, variant
    assert traits["payer:accountant"] + traits["payer:company_form"] > 0
    credits = [
        e for e in entries.values() if amount(e) > 0 and "iban" in e.get("debtorAccount", {})
    ]
    repeats = Counter(e["debtorAccount"]["iban"] for e in credits)
    assert sum(1 for n in repeats.values() if n >= 2) > 50


def test_references_sit_in_every_remittance_field(corpus: Corpus) -> None:
    traits = Counter(trait for t in corpus.truth.values() if t["clear"] for trait in t["traits"])
    assert traits["field:unstructured"] > traits["field:array"] > traits["field:structured"] > 0
    assert traits["ref:invoicenum"] > 0
    assert traits["ref:rf"] > 0


def test_debits_stripe_payouts_and_credits_have_their_signs(
    corpus: Corpus, entries: dict[str, Json]
) -> None:
    for key, truth in corpus.truth.items():
        positive = amount(entries[key]) > 0
        assert positive == (truth["kind"] != "debit")
        if truth["kind"] == "stripe_payout":
            assert "STRIPE" in remittance(entries[key]).upper()


def test_no_float_anywhere(corpus: Corpus) -> None:
    assert floats_in(json.loads(json.dumps(corpus.__dict__))) == []


def test_the_module_writes_the_same_corpus_as_it_generates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--seed", "2", "--invoices", "300", "--transactions", "500", "--out", str(tmp_path)]
    assert main(args) == 0
    expected = generate_corpus(seed=2, invoices=300, transactions=500, today=TODAY)
    assert json.loads((tmp_path / "invoices.json").read_text()) == expected.invoices_body
    written = json.loads((tmp_path / "transactions.json").read_text())
    assert written == expected.transactions_body
    truth = json.loads((tmp_path / "truth.json").read_text())
    assert truth == expected.truth
    assert floats_in(written) == floats_in(truth) == []
    summary = capsys.readouterr().err.strip()
    assert summary.startswith("corpus: 300 invoices, 500 transactions")
    assert "exact_reference=" in summary
    assert len(summary.splitlines()) == 1
