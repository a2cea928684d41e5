"""The simulated WHMCS database: clients, invoices and transactions, seeded from the world.

Every entry point (an API call, a `/_sim` route) holds `WhmcsState.lock` for its whole
read-modify-write, because the loopback server is threaded and a payment must see the balance
it changes. Datetimes are naive UTC wall time, like the DATETIME columns WHMCS keeps.
"""

from __future__ import annotations

import datetime as dt
import pickle
import threading
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from payymo.sandbox.common import SimClock
from payymo.sandbox.world import Client, Invoice, generate_world

from .formats import to_cents

INVOICE_STATUSES = (
    "Draft",
    "Unpaid",
    "Paid",
    "Cancelled",
    "Refunded",
    "Collections",
    "Payment Pending",
)
# Statuses a payment settles; Paid/Refunded keep theirs and Cancelled/Draft refuse payments.
PAYABLE_STATUSES = ("Unpaid", "Collections", "Payment Pending")


@dataclass
class SimInvoice:
    id: int
    userid: int
    invoicenum: str
    date: dt.date  # `dt.` because the field name shadows the type inside the class
    duedate: dt.date
    total: Decimal
    currency: str
    status: str
    description: str
    paymentmethod: str
    created_at: datetime
    updated_at: datetime
    datepaid: datetime | None = None
    date_cancelled: datetime | None = None
    date_refunded: datetime | None = None


@dataclass(frozen=True)
class SimTransaction:
    id: int
    userid: int
    invoiceid: int
    gateway: str
    date: datetime
    amountin: Decimal
    fees: Decimal
    transid: str
    amountout: Decimal = Decimal("0.00")
    description: str = "Invoice Payment"


@dataclass(frozen=True)
class Payment:
    """What AddInvoicePayment asks for, already parsed."""

    transid: str
    gateway: str
    when: datetime
    amount: Decimal | None  # None: the remaining balance
    fees: Decimal
    noemail: bool


@dataclass
class Quirks:
    """WHMCS misbehaviours the contract says *may* happen; off unless a test turns them on."""

    numreturned_is_total: bool = False  # 7.8 counts before skip/take
    ignore_limitnum: bool = False  # 7.8 variable-name bug: pages of 25 whatever you ask
    maintenance: bool = False  # an HTML maintenance page with HTTP 200


_PERSISTED = ("clients", "invoices", "transactions", "emails", "quirks")


@dataclass
class WhmcsState:
    seed: int
    clock: SimClock
    world_day: date
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    clients: dict[int, Client] = field(default_factory=dict)
    invoices: dict[int, SimInvoice] = field(default_factory=dict)
    transactions: list[SimTransaction] = field(default_factory=list)
    emails: list[dict[str, object]] = field(default_factory=list)
    quirks: Quirks = field(default_factory=Quirks)

    def __post_init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Back to the seeded world: same clients, invoices and transactions for the same seed."""
        with self.lock:
            world = generate_world(self.seed, today=self.world_day)
            self.clients = {c.id: c for c in world.clients}
            self.invoices = {i.id: _from_world(i) for i in world.invoices}
            self.transactions = []
            self.emails = []
            self.quirks = Quirks()
            for invoice in self.invoices.values():
                if invoice.status == "Paid":
                    paid_on = invoice.date + timedelta(days=2)
                    self._settle(invoice, datetime.combine(paid_on, time(10, 0)))

    def export(self) -> bytes:
        with self.lock:
            return pickle.dumps(
                {name: getattr(self, name) for name in _PERSISTED},
                protocol=pickle.HIGHEST_PROTOCOL,
            )

    def restore(self, saved: object) -> None:
        if not isinstance(saved, dict) or set(saved) != set(_PERSISTED):
            raise TypeError("expected the WHMCS simulator's saved fields")
        with self.lock:
            for name in _PERSISTED:
                setattr(self, name, saved[name])

    def now(self) -> datetime:
        return self.clock.now().replace(tzinfo=None)

    def today(self) -> date:
        return self.clock.now().date()

    def is_overdue(self, invoice: SimInvoice) -> bool:
        return invoice.status == "Unpaid" and invoice.duedate < self.today()

    def transactions_of(self, invoice_id: int) -> list[SimTransaction]:
        return [t for t in self.transactions if t.invoiceid == invoice_id]

    def balance(self, invoice: SimInvoice) -> Decimal:
        """total - sum(amountin - amountout), as GetInvoice computes it."""
        paid = sum((t.amountin - t.amountout for t in self.transactions_of(invoice.id)), Decimal(0))
        return invoice.total - paid

    def record_payment(self, invoice: SimInvoice, payment: Payment) -> SimTransaction:
        """Add a transaction and settle the invoice once nothing is left; transid is not checked."""
        # A blank amount on an invoice that owes nothing records 0.00, never a negative payment.
        remaining = max(self.balance(invoice), Decimal(0))
        amount = remaining if payment.amount is None else payment.amount
        transaction = SimTransaction(
            id=len(self.transactions) + 1,
            userid=invoice.userid,
            invoiceid=invoice.id,
            gateway=payment.gateway,
            date=payment.when,
            amountin=to_cents(amount),
            fees=to_cents(payment.fees),
            transid=payment.transid,
        )
        self.transactions.append(transaction)
        invoice.updated_at = self.now()
        if invoice.status in PAYABLE_STATUSES and self.balance(invoice) <= 0:
            invoice.status, invoice.datepaid = "Paid", payment.when
            if not payment.noemail:
                self.emails.append(
                    {"invoiceid": invoice.id, "template": "Invoice Payment Confirmation"}
                )
        return transaction

    def add_invoice(self, invoice: SimInvoice) -> SimInvoice:
        """Store a new invoice under the next free id; a Paid one gets its settling payment."""
        invoice.id = max(self.invoices, default=1000) + 1
        self.invoices[invoice.id] = invoice
        if invoice.status == "Paid":
            self._settle(invoice, self.now())
        return invoice

    def set_status(self, invoice: SimInvoice, status: str) -> None:
        """Change the status the way the admin area does, stamping the matching date."""
        now = self.now()
        invoice.status, invoice.updated_at = status, now
        if status == "Cancelled":
            invoice.date_cancelled = now
        elif status == "Refunded":
            invoice.date_refunded = now
        elif status == "Paid" and invoice.datepaid is None:
            invoice.datepaid = now

    def _settle(self, invoice: SimInvoice, when: datetime) -> None:
        # A Paid invoice without its transaction would report a balance; give it the payment.
        self.transactions.append(
            SimTransaction(
                id=len(self.transactions) + 1,
                userid=invoice.userid,
                invoiceid=invoice.id,
                gateway=invoice.paymentmethod,
                date=when,
                amountin=invoice.total,
                fees=Decimal("0.00"),
                transid=f"seed-{invoice.paymentmethod}-{invoice.id}",
            )
        )
        invoice.datepaid = invoice.updated_at = when


def _from_world(invoice: Invoice) -> SimInvoice:
    created = datetime.combine(invoice.issued, time(8, 0))
    cancelled = created + timedelta(days=1) if invoice.status == "Cancelled" else None
    return SimInvoice(
        id=invoice.id,
        userid=invoice.userid,
        invoicenum=invoice.invoicenum,
        date=invoice.issued,
        duedate=invoice.duedate,
        total=invoice.total,
        currency=invoice.currency,
        status=invoice.status,
        description=invoice.description,
        paymentmethod=invoice.paymentmethod,
        created_at=created,
        updated_at=cancelled or created,
        date_cancelled=cancelled,
    )
