"""Lookups over the invoices, built once per run so each transaction costs a few dict reads."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import combinations

from payymo.reconciliation.engine.names import normalize_name
from payymo.reconciliation.engine.references import fold
from payymo.reconciliation.engine.types import EngineInvoice


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
    compound_numbers: frozenset[str] = frozenset()
    client_names: dict[str, tuple[str, str]] = field(default_factory=dict)
    # Clients by pairs of name words (and by the one word of a one-word name): a common first
    # name alone would point at thousands of clients.
    clients_by_words: dict[tuple[str, ...], set[str]] = field(
        default_factory=lambda: defaultdict(set)
    )

    @classmethod
    def build(cls, invoices: Iterable[EngineInvoice]) -> InvoiceIndex:
        index = cls()
        compound = set()
        for invoice in sorted(invoices, key=lambda i: (len(i.id), i.id)):
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
        found: dict[str, EngineInvoice] = {}
        if (by_id := self.by_id.get(value)) is not None:
            found[by_id.id] = by_id
        for invoice in self.by_number.get(value, ()):
            found.setdefault(invoice.id, invoice)
        return list(found.values())


def _word_keys(normalized: str) -> list[tuple[str, ...]]:
    words = sorted({w for w in normalized.split() if len(w) > 2})
    if len(words) == 1:
        return [(words[0],)]
    return list(combinations(words, 2))
