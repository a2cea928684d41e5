"""Lookups over the invoices, built once per run so each transaction costs a few dict reads."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from itertools import combinations

from payymo.reconciliation.engine.names import normalize_name
from payymo.reconciliation.engine.types import EngineInvoice
from payymo.text import fold


def number_key(number: str) -> str:
    """How an invoice number is looked up: upper case, digits without leading zeros."""
    folded = fold(number).replace(" ", "")
    return folded.lstrip("0") or "0" if folded.isdigit() else folded


@dataclass
class InvoiceIndex:
    by_id: dict[str, EngineInvoice] = field(default_factory=dict)
    by_number: dict[str, list[EngineInvoice]] = field(default_factory=lambda: defaultdict(list))
    open_by_amount: dict[tuple[str, int], list[EngineInvoice]] = field(
        default_factory=lambda: defaultdict(list)
    )
    open_by_client: dict[str, list[EngineInvoice]] = field(
        default_factory=lambda: defaultdict(list)
    )
    # A client's open invoices by currency and balance, and how many in each currency: what a
    # decision's runners-up are looked up in (a client can have thousands of open invoices).
    open_by_client_amount: dict[tuple[str, str, int], list[EngineInvoice]] = field(
        default_factory=lambda: defaultdict(list)
    )
    open_count_by_client: dict[tuple[str, str], int] = field(
        default_factory=lambda: defaultdict(int)
    )
    compound_numbers: frozenset[str] = frozenset()
    client_names: dict[str, tuple[str, str]] = field(default_factory=dict)
    # Clients by pairs of name words (and by the one word of a one-word name): a common first
    # name alone would point at thousands of clients.
    clients_by_words: dict[tuple[str, ...], set[str]] = field(
        default_factory=lambda: defaultdict(set)
    )
    # The client each payer's name points to (None: none or several), worked out once per
    # name: the same payers come back again and again.
    client_by_payer: dict[str, str | None] = field(default_factory=dict)

    @classmethod
    def build(cls, invoices: Iterable[EngineInvoice]) -> InvoiceIndex:
        index = cls()
        compound = set()
        # One invoice per id (a file may list one twice), whichever comes last in an order that
        # does not depend on the input's.
        ordered = sorted(invoices, key=_order)
        unique = {invoice.id: invoice for invoice in ordered}
        for invoice in unique.values():
            index.by_id[number_key(invoice.id)] = invoice
            if invoice.number:
                key = number_key(invoice.number)
                index.by_number[key].append(invoice)
                if not key.isdigit():
                    compound.add(key)
                    # Creditor (RF) references carry the number without separators.
                    if (bare := "".join(ch for ch in key if ch.isalnum())) != key:
                        index.by_number[bare].append(invoice)
            if invoice.is_open:
                index.open_by_amount[(invoice.currency, invoice.balance_minor)].append(invoice)
                index.open_by_client[invoice.client_id].append(invoice)
                client, currency = invoice.client_id, invoice.currency
                index.open_by_client_amount[(client, currency, invoice.balance_minor)].append(
                    invoice
                )
                index.open_count_by_client[(client, currency)] += 1
                index._add_client(invoice)
        index.compound_numbers = frozenset(compound)
        return index

    def _add_client(self, invoice: EngineInvoice) -> None:
        if invoice.client_id in self.client_names:
            return
        self.client_names[invoice.client_id] = (invoice.client_name, invoice.company_name)
        for name in (invoice.client_name, invoice.company_name):
            for key in _word_keys(normalize_name(name)):
                self.clients_by_words[key].add(invoice.client_id)

    def clients_named_like(self, payer: str) -> set[str]:
        """Clients whose name shares the most word pairs (or the only word) with `payer`."""
        shared: dict[str, int] = {}
        for key in _word_keys(normalize_name(payer)):
            for client in self.clients_by_words.get(key, ()):
                shared[client] = shared.get(client, 0) + 1
        if not shared:
            return set()
        best = max(shared.values())
        return {client for client, count in shared.items() if count == best}

    def resolve(self, value: str) -> list[EngineInvoice]:
        """Invoices a reference may name: by id, and by invoice number (may be several)."""
        by_id = self.by_id.get(value)
        by_number = self.by_number.get(value)
        if by_number is None:
            return [] if by_id is None else [by_id]
        found = {} if by_id is None else {by_id.id: by_id}
        for invoice in by_number:
            found.setdefault(invoice.id, invoice)
        return list(found.values())

    def near_misses(self, number: str) -> list[EngineInvoice]:
        """Open invoices whose number is one slip away from `number`: two neighbouring
        characters swapped, one left out, or one digit put in (leading zeros dropped)."""
        if number[:1] in ("", "0"):
            keys, put_in = _slips(number), []
        else:
            # A digit put in is found the other way round, without trying all ten at every
            # place: which open invoices' numbers become `number` when one digit is left out.
            keys, put_in = _swaps_and_drops(number), self._open_by_dropped_digit.get(number, [])
            keys.add(number)  # "0" put in front
        found = {
            invoice.id: invoice
            for key in keys
            if (invoice := self.by_id.get(key)) is not None and invoice.is_open
        }
        for invoice in put_in:
            found.setdefault(invoice.id, invoice)
        return list(found.values())

    @cached_property
    def _open_by_dropped_digit(self) -> dict[str, list[EngineInvoice]]:
        found: dict[str, list[EngineInvoice]] = defaultdict(list)
        for key, invoice in self.by_id.items():
            if invoice.is_open and key[:1] not in ("", "0"):
                dropped = (key[:i] + key[i + 1 :] for i, ch in enumerate(key) if ch in _DIGITS)
                for shorter in dict.fromkeys(dropped):
                    found[shorter].append(invoice)
        return found


def _order(invoice: EngineInvoice) -> tuple[int, str, str, int, int, str, str]:
    return (
        len(invoice.id),
        invoice.id,
        invoice.status,
        invoice.balance_minor,
        invoice.total_minor,
        invoice.currency,
        invoice.client_id,
    )


def _word_keys(normalized: str) -> list[tuple[str, ...]]:
    words = sorted({w for w in normalized.split() if len(w) > 2})
    if len(words) == 1:
        return [(words[0],)]
    return list(combinations(words, 2))


_DIGITS = frozenset("0123456789")


def _swaps_and_drops(number: str) -> set[str]:
    variants = {
        number[:i] + number[i + 1] + number[i] + number[i + 2 :] for i in range(len(number) - 1)
    }
    variants |= {number[:i] + number[i + 1 :] for i in range(len(number))}
    variants.discard(number)
    return {v.lstrip("0") or "0" for v in variants if v}


def _slips(number: str) -> set[str]:
    """Every number one slip away, digits put in included: the general case."""
    put_in = {number[:i] + d + number[i:] for i in range(len(number) + 1) for d in "0123456789"}
    return _swaps_and_drops(number) | {v.lstrip("0") or "0" for v in put_in}
