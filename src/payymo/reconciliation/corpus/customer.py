"""Payments that quote invoices: exact, several at once, short, long, in the wrong currency,
with a typo, of an invoice already paid or cancelled, pending, or delivered twice."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from .categories import (
    DUPLICATE_DELIVERY,
    EXACT_REFERENCE,
    FEE_DEDUCTED,
    MULTI_REFERENCE,
    OVERPAYMENT,
    PAID_OR_CANCELLED_REFERENCE,
    PARTIAL,
    PENDING,
    TYPO_REFERENCE,
    WRONG_CURRENCY,
)
from .context import Context
from .draw import chance
from .entries import Payment, Truth
from .invoices import Invoice
from .names import fold
from .plan import SUBSET_SEARCH_LIMIT, Slot, subsets_summing
from .references import (
    BARE_FORMAT,
    MULTI_FORMATS,
    SINGLE_FORMATS,
    decorate,
    render_multi,
    render_single,
    transpose,
)

Built = list[tuple[Payment, Truth]]
FEES = (35, 50, 75, 100, 150)  # common fixed charges, in cents; others are drawn 2..150
MAJOR = ("EUR", "GBP", "USD")
EXCHANGE_RATES = {"GBP": "1.1712", "USD": "0.9268", "EUR": "1.0000"}


def referenced(
    ctx: Context, invoice: Invoice, *, kind: str, amount: int, quoted: str = ""
) -> tuple[Payment, Truth]:
    """A payment of `amount` quoting `invoice` (or the number `quoted` instead) in one of the
    documented formats, by the client or someone paying for it."""
    client = invoice.client
    name, account, payer_trait = ctx.payer(client)
    payment = Payment(amount, invoice.currency, ctx.paid_day(invoice), name, account)
    number, ref_trait = (quoted, "ref:typo") if quoted else ctx.number(invoice)
    fmt = ctx.rng.choice(SINGLE_FORMATS)
    text, traits = decorate(
        ctx.rng,
        render_single(fmt, number),
        name=f"{client.firstname} {client.lastname}",
        bare=fmt == BARE_FORMAT,
        scene=ctx.scene(client, amount, invoice.currency, payment.day),
    )
    traits += [payer_trait, ref_trait]
    if invoice.partly_paid:
        traits.append("invoice:partly_paid")
    ctx.place(payment, text, traits, reference=True, rf="" if quoted else number)
    return payment, Truth(kind, [(invoice, invoice.balance)], traits=traits)


def exact(ctx: Context, slot: Slot) -> Built:
    payment, truth = referenced(ctx, slot.invoices[0], kind=EXACT_REFERENCE, amount=_owed(slot))
    truth.clear = True
    return [(payment, truth)]


def duplicate(ctx: Context, slot: Slot) -> Built:
    """Delivered twice with the same ids; the caller emits the entry a second time."""
    payment, truth = referenced(ctx, slot.invoices[0], kind=DUPLICATE_DELIVERY, amount=_owed(slot))
    truth.clear = True
    truth.traits.append("copies:2")
    return [(payment, truth)]


def multi(ctx: Context, slot: Slot) -> Built:
    """One transfer listing every invoice it pays: "INV 1024 + 1025", "1024/1025"."""
    first = slot.invoices[0]
    client = first.client
    name, account, payer_trait = ctx.payer(client)
    payment = Payment(_owed(slot), first.currency, ctx.paid_day(first), name, account)
    quoted = [ctx.number(invoice) for invoice in slot.invoices]
    fmt = ctx.rng.choice(MULTI_FORMATS)
    text, traits = decorate(
        ctx.rng,
        render_multi(fmt, [number for number, _ in quoted]),
        name=f"{client.firstname} {client.lastname}",
        bare=fmt[0] == "" and fmt[1] == BARE_FORMAT,
        scene=ctx.scene(client, payment.amount, payment.currency, payment.day),
    )
    traits += [payer_trait, *sorted({trait for _, trait in quoted})]
    ctx.place(payment, text, traits, reference=True)
    allocations = [(invoice, invoice.balance) for invoice in slot.invoices]
    return [(payment, Truth(MULTI_REFERENCE, allocations, clear=True, traits=traits))]


def partial(ctx: Context, slot: Slot) -> Built:
    """A clear reference paying part of the balance, at least 2.00 short of it."""
    invoice = slot.invoices[0]
    share = ctx.rng.choice((25, 30, 40, 50, 60, 75))
    amount = invoice.balance * share // 100
    if invoice.balance - amount < 200:
        amount = invoice.balance // 2
    payment, truth = referenced(ctx, invoice, kind=PARTIAL, amount=amount)
    truth.allocations = [(invoice, amount)]
    return [(payment, truth)]


def overpaid(ctx: Context, slot: Slot) -> Built:
    """More than the balance: the full total of a partly paid invoice, a rounded-up amount, or
    a few cents too many; never a sum of the client's open invoices."""
    invoice = slot.invoices[0]
    amount = _over(ctx, invoice)
    while subsets_summing(ctx.company.open_of(invoice.client)[:SUBSET_SEARCH_LIMIT], amount):
        amount += 1
    payment, truth = referenced(ctx, invoice, kind=OVERPAYMENT, amount=amount)
    truth.excess = amount - invoice.balance
    return [(payment, truth)]


def _over(ctx: Context, invoice: Invoice) -> int:
    if invoice.partly_paid and chance(ctx.rng, 50):
        return invoice.total
    if chance(ctx.rng, 50):
        return (invoice.balance // 1000 + 1) * 1000
    return invoice.balance + ctx.rng.randrange(1, 201)


def fee_deducted(ctx: Context, slot: Slot) -> Built:
    """The bank kept a charge: 0.02 to 1.50 (at most a fifth of the balance) short."""
    invoice = slot.invoices[0]
    fee = ctx.rng.choice(FEES) if chance(ctx.rng, 60) else ctx.rng.randrange(2, 151)
    fee = min(fee, invoice.balance // 5)
    payment, truth = referenced(ctx, invoice, kind=FEE_DEDUCTED, amount=invoice.balance - fee)
    truth.fee = fee
    if invoice.currency == "EUR" and chance(ctx.rng, 30):
        source = ctx.rng.choice(("GBP", "USD"))
        payment.extra["currencyExchange"] = [
            {
                "sourceCurrency": source,
                "exchangeRate": EXCHANGE_RATES[source],
                "targetCurrency": "EUR",
            }
        ]
        truth.traits.append("exchange")
    return [(payment, truth)]


def wrong_currency(ctx: Context, slot: Slot) -> Built:
    """The right number in the wrong currency (29.00 GBP for a 29.00 EUR invoice)."""
    invoice = slot.invoices[0]
    payment, truth = referenced(ctx, invoice, kind=WRONG_CURRENCY, amount=invoice.balance)
    payment.currency = ctx.rng.choice([c for c in MAJOR if c != invoice.currency])
    return [(payment, truth)]


def typo(ctx: Context, slot: Slot) -> Built:
    """The exact balance with two digits of the id swapped (or one dropped or added)."""
    invoice = slot.invoices[0]
    payment, truth = referenced(
        ctx, invoice, kind=TYPO_REFERENCE, amount=invoice.balance, quoted=_typo_number(ctx, invoice)
    )
    return [(payment, truth)]


def _typo_number(ctx: Context, invoice: Invoice) -> str:
    """Never the number of another open invoice of that very amount: nothing could tell the
    two apart, so that would be a correct payment of the wrong invoice, not a typo."""
    number = str(invoice.id)
    tries = [transpose(number, ctx.rng) for _ in range(3)]
    tries += [number[:-1], number[1:], *(number + digit for digit in "0123456789")]
    for candidate in tries:
        other = ctx.company.by_id.get(int(candidate))
        if candidate != number and not (
            other is not None and other.status == "Unpaid" and other.balance == invoice.balance
        ):
            return candidate
    return number + "00"  # pragma: no cover - ten appended digits cannot all collide


def paid_or_cancelled(ctx: Context, slot: Slot) -> Built:
    """The full total of an invoice that is Paid (a possible double payment) or Cancelled."""
    invoice = slot.invoices[0]
    payment, truth = referenced(
        ctx, invoice, kind=PAID_OR_CANCELLED_REFERENCE, amount=invoice.total
    )
    payment.day = ctx.any_day()
    truth.allocations = [(invoice, invoice.total)]
    truth.traits.append(f"status:{invoice.status.lower()}")
    return [(payment, truth)]


def pending(ctx: Context, slot: Slot) -> Built:
    """Not booked yet: recent, without ids. A twin also appears booked a day later, with the
    text the bank settled on (the booked one is an ordinary exact_reference)."""
    payment, truth = referenced(ctx, slot.invoices[0], kind=PENDING, amount=_owed(slot))
    payment.pending = True
    payment.day = ctx.today - timedelta(days=ctx.rng.randrange(3))
    if not slot.twin:
        return [(payment, truth)]
    booked = replace(payment, pending=False, day=min(ctx.today, payment.day + timedelta(days=1)))
    booked_truth = replace(truth, kind=EXACT_REFERENCE, clear=True, traits=[*truth.traits, "twin"])
    lead = ctx.rng.choice(("SEPA CREDIT", "INCOMING TRANSFER", "VORMERKUNG"))
    payment.text = f"{lead} {fold(payment.text or payment.structured).upper()[:18]}"
    payment.placement, payment.structured = "unstructured", ""
    truth.traits.append("twin")
    return [(payment, truth), (booked, booked_truth)]


def _owed(slot: Slot) -> int:
    return sum(invoice.balance for invoice in slot.invoices)
