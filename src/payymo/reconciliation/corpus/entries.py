"""A payment as GoCardless Bank Account Data returns it, and the truth about it."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from payymo.money import format_minor

from .invoices import Invoice
from .references import array_lines

UNSTRUCTURED = "unstructured"
ARRAY = "array"
STRUCTURED = "structured"


@dataclass(slots=True)
class Payment:
    """One bank entry before it is shaped; `amount` is signed cents (credit +, debit -)."""

    amount: int
    currency: str
    day: date
    name: str = ""  # the counterparty: debtor of a credit, creditor of a debit; "" = absent
    account: dict[str, str] | None = None
    text: str = ""
    placement: str = UNSTRUCTURED
    structured: str = ""  # remittanceInformationStructured, when the bank gives one
    pending: bool = False
    extra: dict[str, Any] = field(default_factory=dict)  # mandateId, currencyExchange, ...


@dataclass(slots=True)
class Truth:
    kind: str
    allocations: list[tuple[Invoice, int]] = field(default_factory=list)  # invoice, cents
    clear: bool = False
    traits: list[str] = field(default_factory=list)
    fee: int = 0  # cents deducted on the way (fee_deducted)
    excess: int = 0  # cents paid beyond the balance (overpayment)

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "kind": self.kind,
            "invoices": [
                {"invoice_id": str(invoice.id), "amount": format_minor(cents, invoice.currency)}
                for invoice, cents in self.allocations
            ],
            "clear": self.clear,
        }
        currency = self.allocations[0][0].currency if self.allocations else "EUR"
        if self.fee:
            body["fee"] = format_minor(self.fee, currency)
        if self.excess:
            body["excess"] = format_minor(self.excess, currency)
        body["traits"] = self.traits
        return body


def booked_entry(
    rng: random.Random, payment: Payment, *, transaction_id: str, internal_id: str
) -> dict[str, Any]:
    """A `transactions.booked` item: ids, booking and value dates, then the common fields."""
    value = payment.day - timedelta(days=1) if rng.randrange(10) == 0 else payment.day
    entry: dict[str, Any] = {
        "transactionId": transaction_id,
        "internalTransactionId": internal_id,
        "bookingDate": payment.day.isoformat(),
        "valueDate": value.isoformat(),
    }
    _common(rng, payment, entry)
    return entry


def pending_entry(rng: random.Random, payment: Payment, *, entry_reference: str) -> dict[str, Any]:
    """A `transactions.pending` item: no transactionId, internalTransactionId or bookingDate.

    `entryReference` is the only handle such an item has; the truth is keyed by it.
    """
    entry: dict[str, Any] = {
        "entryReference": entry_reference,
        "valueDate": payment.day.isoformat(),
    }
    _common(rng, payment, entry)
    return entry


def _common(rng: random.Random, payment: Payment, entry: dict[str, Any]) -> None:
    entry["transactionAmount"] = {
        "amount": format_minor(payment.amount, payment.currency),
        "currency": payment.currency,
    }
    party = "debtor" if payment.amount >= 0 else "creditor"
    if payment.name:
        entry[f"{party}Name"] = payment.name
    if payment.account is not None:
        entry[f"{party}Account"] = payment.account
    _remittance(rng, payment, entry)
    entry.update(payment.extra)
    entry.setdefault(
        "bankTransactionCode", "PMNT-RCDT-ESCT" if party == "debtor" else "PMNT-ICDT-ESCT"
    )


def _remittance(rng: random.Random, payment: Payment, entry: dict[str, Any]) -> None:
    if payment.structured:
        entry["remittanceInformationStructured"] = payment.structured
    if payment.placement == ARRAY:
        entry["remittanceInformationUnstructuredArray"] = array_lines(rng, payment.text)
    elif payment.text or not payment.structured:
        entry["remittanceInformationUnstructured"] = payment.text
