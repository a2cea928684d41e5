"""What every payment builder shares: the random stream, the books, the window, who pays."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from .clients import Client, own_payer, third_party
from .company import Company
from .draw import Weighted, chance
from .entries import ARRAY, STRUCTURED, UNSTRUCTURED, Payment
from .invoices import Invoice
from .references import Scene, rf_reference

WINDOW_DAYS = 90  # GoCardless's default history: booked entries cover the last 90 days
THIRD_PARTY_PERCENT = 30  # payments a client's spouse or accountant makes, when it has one
INVOICENUM_PERCENT = 30  # references quoting the invoice number rather than the id
PLACEMENT = Weighted([(UNSTRUCTURED, 72), (ARRAY, 18), (STRUCTURED, 10)])


@dataclass
class Context:
    rng: random.Random
    company: Company
    today: date

    @property
    def window_start(self) -> date:
        return self.today - timedelta(days=WINDOW_DAYS - 1)

    def any_day(self) -> date:
        return self.today - timedelta(days=self.rng.randrange(WINDOW_DAYS))

    def paid_day(self, invoice: Invoice) -> date:
        """When a payment for `invoice` is booked: within three weeks of it, inside the window."""
        start = max(invoice.issued, self.window_start)
        return min(self.today, start + timedelta(days=self.rng.randrange(21)))

    def payer(self, client: Client, *, others: bool = True) -> tuple[str, dict[str, str], str]:
        """Name, account and trait of whoever pays for `client` this time."""
        other = third_party(client, self.company.accountants) if others else None
        if other is not None and chance(self.rng, THIRD_PARTY_PERCENT):
            return other
        return own_payer(self.rng, client)

    def number(self, invoice: Invoice) -> tuple[str, str]:
        """The number a payer quotes for `invoice`, and whether it is the id or invoicenum."""
        if invoice.invoicenum and chance(self.rng, INVOICENUM_PERCENT):
            return invoice.invoicenum, "ref:invoicenum"
        return str(invoice.id), "ref:id"

    def scene(self, client: Client, amount: int, currency: str, day: date) -> Scene:
        return Scene(day, client.id, amount, currency, self.company.max_id)

    def place(
        self, payment: Payment, text: str, traits: list[str], *, reference: bool, rf: str = ""
    ) -> None:
        """Put the remittance in the field this bank uses. A structured one holds a reference:
        as typed, or as an RF creditor reference on `rf`; the free text is then the name."""
        placement = PLACEMENT.pick(self.rng)
        if placement == STRUCTURED and not reference:
            placement = UNSTRUCTURED
        payment.placement, payment.text = placement, text
        traits.append(f"field:{placement}")
        if placement == STRUCTURED:
            as_rf = bool(rf) and chance(self.rng, 50)
            payment.structured = rf_reference(rf) if as_rf else text
            payment.text = payment.name if chance(self.rng, 50) else ""
            if as_rf:
                traits.append("ref:rf")
