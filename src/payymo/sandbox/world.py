"""A deterministic, seeded little world shared by the three simulators.

The same seed always gives the same clients, WHMCS invoices, bank transfers and card payments,
so the WHMCS, GoCardless and Stripe simulators tell one coherent story: the bank transfers and
card payments pay (some of) the invoices, with references written the way real customers write
them. `truth` on each payment records which invoices it really pays, for tests.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

PLAN_PRICES = (
    Decimal("4.99"),
    Decimal("9.99"),
    Decimal("14.95"),
    Decimal("29.00"),
    Decimal("59.00"),
    Decimal("119.00"),
)
PLANS = (
    "Shared Hosting Starter",
    "Shared Hosting Pro",
    "VPS S",
    "VPS M",
    "Dedicated Lite",
    "Domain renewal .com",
    "SSL certificate",
)
FIRST_NAMES = (
    "Anna",
    "Ben",
    "Chloé",
    "Daniel",
    "Eva",
    "Farid",
    "Grace",
    "Hugo",
    "Ines",
    "Jan",
    "Katarzyna",
    "Liam",
    "María",
    "Noah",
    "Olga",
    "Pieter",
    "Quentin",
    "Rosa",
    "Sven",
    "Tomás",
    "Ulla",
    "Viktor",
    "Wen",
    "Yusuf",
    "Zoë",
)
LAST_NAMES = (
    "Müller",
    "O'Brien",
    "Janssen",
    "García",
    "Nowak",
    "Dubois",
    "Rossi",
    "Smith",
    "Andersson",
    "Kowalski",
    "de Vries",
    "Schmidt",
    "Brown",
    "Costa",
    "Novak",
)
COMPANY_SUFFIXES = ("Ltd", "GmbH", "B.V.", "SARL", "S.L.", "Web Studio", "Digital", "")
COUNTRIES = (
    ("DE", "EUR"),
    ("NL", "EUR"),
    ("FR", "EUR"),
    ("ES", "EUR"),
    ("IE", "EUR"),
    ("GB", "GBP"),
    ("US", "USD"),
)
REFERENCE_FORMATS = (
    "Invoice {id}",
    "INV-{id}",
    "Invoice #{id}",
    "inv {id}",
    "Rechnung {id}",
    "Factuur {id}",
    "Facture n° {id}",
    "Factura {id}",
    "{id}",
    "Payment for invoice {id} thanks",
    "RE {id} {name}",
    "Rechnungsnr. {id} Kundennr. {client}",
)
UNRELATED_CREDITS = ("Interest credit", "Refund AMAZON EU SARL", "Transfer from savings")
DEBITS = ("AWS EMEA", "Hetzner Online GmbH", "Salary December", "Office rent", "Google Ireland")


@dataclass(frozen=True)
class Client:
    id: int
    firstname: str
    lastname: str
    companyname: str
    email: str
    country: str
    currency: str
    iban: str


@dataclass(frozen=True)
class Invoice:
    id: int
    invoicenum: str
    userid: int
    issued: date  # WHMCS calls it `date`
    duedate: date
    total: Decimal
    currency: str
    status: str  # Unpaid | Paid | Cancelled, as WHMCS spells them
    description: str
    paymentmethod: str


@dataclass(frozen=True)
class BankPayment:
    """A bank transaction as the bank reports it; `amount` is signed (credit +)."""

    transaction_id: str
    booking_date: date
    amount: Decimal
    currency: str
    counterparty_name: str
    counterparty_iban: str
    remittance: str
    pending: bool = False
    truth: tuple[int, ...] = ()  # invoice ids this payment really pays


@dataclass(frozen=True)
class CardPayment:
    """A card payment through Stripe for one invoice."""

    invoice_id: int
    amount: Decimal
    currency: str
    created: datetime
    customer_name: str
    customer_email: str
    description: str


@dataclass(frozen=True)
class World:
    seed: int
    today: date
    clients: tuple[Client, ...]
    invoices: tuple[Invoice, ...]
    bank_payments: tuple[BankPayment, ...]
    card_payments: tuple[CardPayment, ...] = field(default=())

    def client(self, client_id: int) -> Client:
        return next(c for c in self.clients if c.id == client_id)


def iban(rng: random.Random, country: str) -> str:
    """A syntactically valid IBAN (correct mod-97 check digits) for `country`."""
    length = {"DE": 18, "NL": 14, "FR": 23, "ES": 20, "IE": 18, "GB": 18, "US": 18}[country]
    if country in ("NL", "GB", "IE"):
        bban = "".join(rng.choices(string.ascii_uppercase, k=4)) + "".join(
            rng.choices(string.digits, k=length - 4)
        )
    else:
        bban = "".join(rng.choices(string.digits, k=length))
    numeric = "".join(str(int(ch, 36)) for ch in bban + country + "00")
    return f"{country}{98 - int(numeric) % 97:02d}{bban}"


def generate_world(seed: int = 7, *, today: date, clients: int = 25) -> World:
    """Build the world for `seed`; every date in it is relative to `today`.

    The simulators pass the day their clock stands on when they start, so the world is always
    recent: a bank sync "up to today" finds it, on whatever day it runs.
    """
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    people = tuple(_client(rng, 1 + i) for i in range(clients))
    invoices = _invoices(rng, people, today)
    bank = _bank_payments(rng, people, invoices, today)
    cards = _card_payments(
        rng, people, invoices, today, already_paid={i for p in bank for i in p.truth}
    )
    return World(seed, today, people, invoices, bank, cards)


def _client(rng: random.Random, client_id: int) -> Client:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    country, currency = rng.choice(COUNTRIES)
    company = ""
    if rng.random() < 0.6:
        company = f"{last} {rng.choice(COMPANY_SUFFIXES)}".strip()
    email = f"{first}.{last}".lower().replace("'", "").replace(" ", "") + f"{client_id}@example.com"
    return Client(client_id, first, last, company, email, country, currency, iban(rng, country))


def _invoices(rng: random.Random, people: tuple[Client, ...], today: date) -> tuple[Invoice, ...]:
    invoices: list[Invoice] = []
    next_id, paid_number = 1001, 1
    for client in people:
        for _ in range(rng.randint(1, 4)):
            issued = today - timedelta(days=rng.randint(3, 60))
            status = rng.choices(("Unpaid", "Paid", "Cancelled"), weights=(70, 22, 8))[0]
            invoicenum = ""
            if status == "Paid":
                invoicenum = f"{issued.year}-{paid_number:04d}"
                paid_number += 1
            invoices.append(
                Invoice(
                    id=next_id,
                    invoicenum=invoicenum,
                    userid=client.id,
                    issued=issued,
                    duedate=issued + timedelta(days=14),
                    total=rng.choice(PLAN_PRICES),
                    currency=client.currency,
                    status=status,
                    description=rng.choice(PLANS),
                    paymentmethod=rng.choice(("banktransfer", "banktransfer", "stripe")),
                )
            )
            next_id += 1
    return tuple(invoices)


def _reference(rng: random.Random, invoice: Invoice, client: Client) -> str:
    text = rng.choice(REFERENCE_FORMATS).format(
        id=invoice.id, name=client.lastname.upper(), client=client.id
    )
    return text.upper() if rng.random() < 0.3 else text


def _bank_payments(
    rng: random.Random, people: tuple[Client, ...], invoices: tuple[Invoice, ...], today: date
) -> tuple[BankPayment, ...]:
    payments: list[BankPayment] = []
    counter = iter(range(1, 10_000))

    def tx_id() -> str:
        return f"SIM{today:%Y%m%d}{next(counter):05d}"

    def payer(client: Client) -> str:
        return client.companyname or f"{client.firstname} {client.lastname}"

    transfer_invoices = [
        i for i in invoices if i.status == "Unpaid" and i.paymentmethod == "banktransfer"
    ]
    for invoice in transfer_invoices:
        if rng.random() > 0.7:
            continue
        client = next(c for c in people if c.id == invoice.userid)
        booked = min(today, invoice.issued + timedelta(days=rng.randint(1, 20)))
        pending = booked >= today - timedelta(days=1) and rng.random() < 0.5
        payments.append(
            BankPayment(
                tx_id(),
                booked,
                invoice.total,
                invoice.currency,
                payer(client),
                client.iban,
                _reference(rng, invoice, client),
                pending,
                (invoice.id,),
            )
        )
    for client in people:  # one transfer paying two open invoices of the same client
        open_ones = [
            i
            for i in transfer_invoices
            if i.userid == client.id and not any(i.id in p.truth for p in payments)
        ]
        if len(open_ones) >= 2:
            a, b = open_ones[:2]
            payments.append(
                BankPayment(
                    tx_id(),
                    today - timedelta(days=2),
                    a.total + b.total,
                    a.currency,
                    payer(client),
                    client.iban,
                    f"Invoices {a.id} and {b.id}",
                    False,
                    (a.id, b.id),
                )
            )
            break
    for text in UNRELATED_CREDITS:
        payments.append(
            BankPayment(
                tx_id(),
                today - timedelta(days=rng.randint(1, 20)),
                Decimal(rng.randint(100, 9000)) / 100,
                "EUR",
                "Various",
                iban(rng, "DE"),
                text,
            )
        )
    for text in DEBITS:
        payments.append(
            BankPayment(
                tx_id(),
                today - timedelta(days=rng.randint(1, 20)),
                -Decimal(rng.randint(1000, 250000)) / 100,
                "EUR",
                text,
                iban(rng, "IE"),
                f"{text} {rng.randint(100000, 999999)}",
            )
        )
    payments.sort(key=lambda p: (p.booking_date, p.transaction_id))
    return tuple(payments)


def _card_payments(
    rng: random.Random,
    people: tuple[Client, ...],
    invoices: tuple[Invoice, ...],
    today: date,
    *,
    already_paid: set[int],
) -> tuple[CardPayment, ...]:
    payments = []
    for invoice in invoices:
        if invoice.paymentmethod != "stripe" or invoice.status != "Unpaid":
            continue
        if invoice.id in already_paid or rng.random() > 0.6:
            continue
        client = next(c for c in people if c.id == invoice.userid)
        # By yesterday at the latest: a time of day today could still be ahead of the clock.
        paid_on = min(
            today - timedelta(days=1), invoice.issued + timedelta(days=rng.randint(0, 10))
        )
        created = datetime.combine(paid_on, time(rng.randint(7, 22), rng.randint(0, 59)), UTC)
        payments.append(
            CardPayment(
                invoice.id,
                invoice.total,
                invoice.currency,
                created,
                f"{client.firstname} {client.lastname}",
                client.email,
                f"Invoice #{invoice.id}",
            )
        )
    return tuple(payments)
