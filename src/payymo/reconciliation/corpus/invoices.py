"""WHMCS invoices: plan prices shared by thousands of clients, every status, several numberings."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from payymo.money import format_minor

from .clients import Client
from .draw import Weighted, chance

FIRST_INVOICE_ID = 1001
# Monthly and yearly plan prices in cents; the same few numbers for every client in a currency.
PLAN_PRICES = (499, 999, 1495, 2900, 5900, 11900)
SEK_PRICES = (4900, 9900, 14900, 29900, 59000, 119000)
ADD_ONS = (1299, 899, 2499, 4900)  # domain renewals and an SSL certificate
STATUSES = Weighted(
    [
        ("Unpaid", 620),
        ("Paid", 240),
        ("Cancelled", 60),
        ("Draft", 30),
        ("Refunded", 20),
        ("Collections", 20),
        ("Payment Pending", 10),
    ]
)
PAYMENT_METHODS = Weighted(
    [("banktransfer", 600), ("stripe", 250), ("paypal", 100), ("gocardless", 50)]
)
NUMBERING = Weighted([("", 450), ("year", 300), ("plain", 250)])
CURRENCY_SIGNS = {
    "EUR": ("€", " EUR"),
    "GBP": ("£", " GBP"),
    "USD": ("$", " USD"),
    "CHF": ("", " CHF"),
    "SEK": ("", " kr"),
    "CAD": ("$", " CAD"),
    "AUD": ("$", " AUD"),
}
ZERO_MOMENT = "0000-00-00 00:00:00"


@dataclass(slots=True)
class Invoice:
    index: int
    client: Client
    status: str
    issued: date
    subtotal: int  # cents, as every amount here
    tax: int
    balance: int  # what is still owed: `total` unless partly paid
    paymentmethod: str
    id: int = 0
    invoicenum: str = ""

    @property
    def total(self) -> int:
        return self.subtotal + self.tax

    @property
    def currency(self) -> str:
        return self.client.currency

    @property
    def partly_paid(self) -> bool:
        return self.status == "Unpaid" and self.balance < self.total

    @property
    def reference_numbers(self) -> tuple[str, ...]:
        """The numbers a payer may quote: the id, and the invoice number when there is one."""
        return (str(self.id), self.invoicenum) if self.invoicenum else (str(self.id),)


def prices(currency: str) -> tuple[int, ...]:
    return SEK_PRICES if currency == "SEK" else PLAN_PRICES


def make_invoice(rng: random.Random, index: int, client: Client, today: date) -> Invoice:
    status = STATUSES.pick(rng)
    subtotal = _subtotal(rng, client)
    tax = (subtotal * client.vat_percent + 50) // 100
    invoice = Invoice(
        index=index,
        client=client,
        status=status,
        issued=today - timedelta(days=_age(rng, status)),
        subtotal=subtotal,
        tax=tax,
        balance=subtotal + tax,
        paymentmethod=PAYMENT_METHODS.pick(rng),
    )
    if status == "Unpaid" and invoice.total >= 1000 and chance(rng, 7):
        invoice.balance -= invoice.total * rng.choice((20, 25, 30, 40, 50, 60)) // 100
    return invoice


def _subtotal(rng: random.Random, client: Client) -> int:
    table = prices(client.currency)
    plan = table[client.plan] if chance(rng, 70) else rng.choice(table)
    shape = rng.randrange(10)
    if shape < 2:
        return plan + rng.choice(ADD_ONS)
    if shape == 2:
        return plan * 10  # a year paid up front, two months free
    return plan


def _age(rng: random.Random, status: str) -> int:
    """Days between the invoice date and today; drafts may be dated a few days ahead."""
    if status == "Unpaid":
        return min(rng.randrange(121), rng.randrange(121))  # mostly recent, some long overdue
    if status == "Draft":
        return rng.randrange(-7, 3)
    if status == "Collections":
        return rng.randrange(90, 401)
    if status == "Payment Pending":
        return rng.randrange(11)
    return rng.randrange(1, 731)


def number_invoices(rng: random.Random, invoices: list[Invoice]) -> None:
    """Give ids in date order, with the odd gap of deleted invoices, then invoice numbers.

    Plain sequential numbers start at the next power of ten above the last id, so they never
    equal an invoice id; year numbers look like "2026-00042".
    """
    invoices.sort(key=lambda i: (i.issued, i.index))
    next_id = FIRST_INVOICE_ID
    for position, invoice in enumerate(invoices):
        invoice.index = position
        invoice.id = next_id
        next_id += 1 + (rng.randrange(1, 6) if chance(rng, 1) else 0)
    plain = 10 ** len(str(next_id))
    per_year: dict[int, int] = {}
    for invoice in invoices:
        style = NUMBERING.pick(rng)
        if style == "plain":
            invoice.invoicenum, plain = str(plain), plain + 1
        elif style == "year":
            year = invoice.issued.year
            per_year[year] = per_year.get(year, 0) + 1
            invoice.invoicenum = f"{year}-{per_year[year]:05d}"


def whmcs_row(rng: random.Random, invoice: Invoice, today: date) -> dict[str, Any]:
    """One entry of GetInvoices' `invoices.invoice`, typed like the recorded fixture."""
    client, currency = invoice.client, invoice.currency
    prefix, suffix = CURRENCY_SIGNS[currency]
    created = datetime.combine(invoice.issued, time(rng.randrange(24), rng.randrange(60)))
    row: dict[str, Any] = {
        "id": invoice.id,
        "userid": client.id,
        "firstname": client.firstname,
        "lastname": client.lastname,
        "companyname": client.companyname,
        "invoicenum": invoice.invoicenum,
        "date": invoice.issued.isoformat(),
        "duedate": (invoice.issued + timedelta(days=rng.choice((7, 14, 14, 30)))).isoformat(),
        **_status_moments(rng, invoice, today),
        **_amounts(invoice),
        "status": invoice.status,
        "paymentmethod": invoice.paymentmethod,
        "paymethodid": None,
        "notes": "",
        "created_at": f"{created:%Y-%m-%d %H:%M:%S}",
        "updated_at": f"{created:%Y-%m-%d %H:%M:%S}",
        "currencycode": currency,
        "currencyprefix": prefix,
        "currencysuffix": suffix,
    }
    if invoice.partly_paid:
        row["balance"] = format_minor(invoice.balance, currency)
    return row


def _amounts(invoice: Invoice) -> dict[str, str]:
    currency = invoice.currency
    return {
        "subtotal": format_minor(invoice.subtotal, currency),
        "credit": "0.00",
        "tax": format_minor(invoice.tax, currency),
        "tax2": "0.00",
        "total": format_minor(invoice.total, currency),
        "taxrate": f"{invoice.client.vat_percent}.000",
        "taxrate2": "0.000",
    }


def _status_moments(rng: random.Random, invoice: Invoice, today: date) -> dict[str, str]:
    moments = {
        "datepaid": ZERO_MOMENT,
        "last_capture_attempt": ZERO_MOMENT,
        "date_refunded": ZERO_MOMENT,
        "date_cancelled": ZERO_MOMENT,
    }
    if invoice.status in ("Paid", "Refunded"):
        paid = min(today, invoice.issued + timedelta(days=rng.randrange(21)))
        moments["datepaid"] = f"{paid} {rng.randrange(8, 20):02d}:{rng.randrange(60):02d}:00"
        if invoice.status == "Refunded":
            refunded = min(today, paid + timedelta(days=rng.randrange(1, 31)))
            moments["date_refunded"] = f"{refunded} 10:00:00"
    elif invoice.status == "Cancelled":
        cancelled = min(today, invoice.issued + timedelta(days=rng.randrange(1, 41)))
        moments["date_cancelled"] = f"{cancelled} 09:00:00"
    return moments


def invoices_body(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The GetInvoices response around `rows` (all of them on one page)."""
    return {
        "result": "success",
        "totalresults": len(rows),
        "startnumber": 0,
        "numreturned": len(rows),
        "invoices": {"invoice": rows},
    }
