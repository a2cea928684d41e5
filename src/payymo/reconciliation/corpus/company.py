"""The hosting company's books: its clients and their invoices, with the lookups payments need."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from .clients import Client, accountant_accounts, make_client
from .draw import Weighted, new_rng
from .invoices import PLAN_PRICES, Invoice, make_invoice, number_invoices

INVOICES_PER_CLIENT_TENTHS = 34  # 3.4 invoices per client on average, a few with dozens
ACTIVITY = (1, 1, 1, 2, 3, 6, 12)  # relative invoicing rate: most yearly, some monthly


@dataclass
class Company:
    today: date
    clients: list[Client]
    invoices: list[Invoice]
    accountants: tuple[dict[str, str], ...]
    by_id: dict[int, Invoice] = field(default_factory=dict)
    open_by_client: dict[int, list[Invoice]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_id = {i.id: i for i in self.invoices}
        grouped: dict[int, list[Invoice]] = defaultdict(list)
        for invoice in self.invoices:
            if invoice.status == "Unpaid":
                grouped[invoice.client.id].append(invoice)
        self.open_by_client = dict(grouped)

    @property
    def max_id(self) -> int:
        return self.invoices[-1].id if self.invoices else 0

    def open_of(self, client: Client) -> list[Invoice]:
        return self.open_by_client.get(client.id, [])

    def is_open(self, invoice_id: int) -> bool:
        invoice = self.by_id.get(invoice_id)
        return invoice is not None and invoice.status == "Unpaid"


def build_company(*, seed: int, invoices: int, today: date) -> Company:
    """Clients and `invoices` invoices for `seed`, the same whatever the transaction count."""
    rng = new_rng(seed, "company")
    count = max(1, invoices * 10 // INVOICES_PER_CLIENT_TENTHS) if invoices else 0
    clients = [make_client(rng, 1 + n, plans=len(PLAN_PRICES)) for n in range(count)]
    made = [
        make_invoice(rng, index, client, today)
        for index, client in enumerate(_owners(rng, clients, invoices))
    ]
    number_invoices(rng, made)
    return Company(today, clients, made, accountant_accounts(rng))


def _owners(rng: random.Random, clients: list[Client], invoices: int) -> list[Client]:
    """Which client each invoice belongs to: everyone at least once, busy clients more."""
    if not clients:
        return []
    busy = Weighted([(client, rng.choice(ACTIVITY)) for client in clients])
    extra = [busy.pick(rng) for _ in range(invoices - len(clients))]
    return clients[:invoices] + extra
