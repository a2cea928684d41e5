"""The corpus in memory (`generate_corpus`) or streamed to three JSON files (`write_corpus`)."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Any

from .categories import KINDS
from .generate import BOOKED, Event, invoice_rows, start
from .invoices import invoices_body

_ENCODER = json.JSONEncoder(ensure_ascii=False)


@dataclass(frozen=True)
class Corpus:
    """The WHMCS GetInvoices body, the GoCardless transactions body, and the truth per entry
    (keyed by transactionId, or by entryReference for pending entries)."""

    invoices_body: dict[str, Any]
    transactions_body: dict[str, Any]
    truth: dict[str, dict[str, Any]]


@dataclass
class Summary:
    invoices: int = 0
    booked: int = 0
    pending: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    milliseconds: int = 0

    def count(self, event: Event) -> Event:
        if event.section == BOOKED:
            self.booked += 1
        else:
            self.pending += 1
        if event.truth is not None:
            self.kinds[event.truth["kind"]] += 1
        return event

    def line(self) -> str:
        kinds = " ".join(f"{kind}={self.kinds[kind]}" for kind in KINDS)
        return (
            f"corpus: {self.invoices} invoices, {self.booked + self.pending} transactions "
            f"({self.booked} booked, {self.pending} pending), {sum(self.kinds.values())} truths "
            f"in {self.milliseconds // 1000}.{self.milliseconds % 1000 // 100}s: {kinds}"
        )


def generate_corpus(*, seed: int, invoices: int, transactions: int, today: date) -> Corpus:
    """The whole corpus for `seed` in memory; the same arguments always give the same corpus."""
    company, events = start(seed=seed, invoices=invoices, transactions=transactions, today=today)
    booked: list[dict[str, Any]] = []
    pending: list[dict[str, Any]] = []
    truth: dict[str, dict[str, Any]] = {}
    for event in events:
        (booked if event.section == BOOKED else pending).append(event.entry)
        if event.truth is not None:
            truth[event.key] = event.truth
    return Corpus(
        invoices_body=invoices_body(list(invoice_rows(company, seed=seed))),
        transactions_body={"transactions": {"booked": booked, "pending": pending}},
        truth=truth,
    )


def write_corpus(
    directory: Path, *, seed: int, invoices: int, transactions: int, today: date
) -> Summary:
    """Stream invoices.json, transactions.json and truth.json into `directory`; memory stays
    flat however many transactions (only pending entries wait for the end)."""
    began = time.monotonic_ns()
    directory.mkdir(parents=True, exist_ok=True)
    company, events = start(seed=seed, invoices=invoices, transactions=transactions, today=today)
    summary = Summary(invoices=len(company.invoices))
    with (directory / "invoices.json").open("w", encoding="utf-8") as out:
        _write_invoices(out, invoice_rows(company, seed=seed), summary.invoices)
    with (
        (directory / "transactions.json").open("w", encoding="utf-8") as body,
        (directory / "truth.json").open("w", encoding="utf-8") as truth,
    ):
        _write_transactions(body, truth, (summary.count(e) for e in events))
    summary.milliseconds = (time.monotonic_ns() - began) // 1_000_000
    return summary


def _write_invoices(out: IO[str], rows: Iterable[dict[str, Any]], count: int) -> None:
    head = {k: v for k, v in invoices_body([]).items() if k != "invoices"}
    head.update(totalresults=count, numreturned=count)
    out.write(json.dumps(head, ensure_ascii=False)[:-1] + ', "invoices": {"invoice": [\n')
    _write_items(out, rows)
    out.write("\n]}}\n")


def _write_transactions(body: IO[str], truth: IO[str], events: Iterator[Event]) -> None:
    pending: list[dict[str, Any]] = []
    body.write('{"transactions": {"booked": [\n')
    truth.write("{\n")
    first_entry = first_truth = True
    for event in events:
        if event.truth is not None:
            truth.write(("" if first_truth else ",\n") + _pair(event.key, event.truth))
            first_truth = False
        if event.section != BOOKED:
            pending.append(event.entry)
            continue
        body.write(("" if first_entry else ",\n") + _ENCODER.encode(event.entry))
        first_entry = False
    body.write('\n], "pending": [\n')
    _write_items(body, pending)
    body.write("\n]}}\n")
    truth.write("\n}\n")


def _write_items(out: IO[str], items: Iterable[dict[str, Any]]) -> None:
    separator = ""
    for item in items:
        out.write(separator + _ENCODER.encode(item))
        separator = ",\n"


def _pair(key: str, value: dict[str, Any]) -> str:
    return f"{_ENCODER.encode(key)}: {_ENCODER.encode(value)}"
