"""Payments of invoices that quote none: several invoices summed, the amount alone, or the
amount and a payer the engine can recognise by name or IBAN."""

from __future__ import annotations

from .categories import AMOUNT_ONLY, MULTI_SUBSET, NAME_ONLY
from .clients import account_ref
from .context import Context
from .customer import Built
from .draw import chance
from .entries import Payment, Truth
from .plan import Slot
from .references import free_text

ANONYMOUS_PAYERS = ("ONLINE BANKING", "UEBERWEISUNG", "FASTER PAYMENT", "Virement", "TRANSFER")


def subset(ctx: Context, slot: Slot) -> Built:
    """Several open invoices of one client paid together without listing them; the sum is one
    no other set of the client's open invoices makes."""
    first = slot.invoices[0]
    client = first.client
    name, account, payer_trait = ctx.payer(client, others=False)
    amount = sum(invoice.balance for invoice in slot.invoices)
    payment = Payment(amount, first.currency, ctx.paid_day(first), name, account)
    scene = ctx.scene(client, amount, first.currency, payment.day)
    text, traits = free_text(ctx.rng, name=client.lastname, scene=scene)
    traits.append(payer_trait)
    ctx.place(payment, text, traits, reference=False)
    allocations = [(invoice, invoice.balance) for invoice in slot.invoices]
    return [(payment, Truth(MULTI_SUBSET, allocations, traits=traits))]


def amount_only(ctx: Context, slot: Slot) -> Built:
    """The exact balance from an unknown account under no name or a bank's generic label."""
    invoice = slot.invoices[0]
    name = ctx.rng.choice(ANONYMOUS_PAYERS) if chance(ctx.rng, 50) else ""
    account = account_ref(ctx.rng, "DE") if chance(ctx.rng, 60) else None
    payment = Payment(invoice.balance, invoice.currency, ctx.paid_day(invoice), name, account)
    # Any customer number in the text is somebody else's: nothing here points at the client.
    stranger = ctx.rng.choice(ctx.company.clients)
    scene = ctx.scene(stranger, invoice.balance, invoice.currency, payment.day)
    text, traits = free_text(ctx.rng, name="", scene=scene, distractors=50)
    traits.append("payer:unknown")
    ctx.place(payment, text, traits, reference=False)
    return [(payment, Truth(AMOUNT_ONLY, [(invoice, invoice.balance)], traits=traits))]


def name_only(ctx: Context, slot: Slot) -> Built:
    """The exact balance from the client's own account and name, quoting no invoice; the trait
    says whether the client has other open invoices of that amount."""
    invoice = slot.invoices[0]
    client = invoice.client
    name, account, payer_trait = ctx.payer(client, others=False)
    payment = Payment(invoice.balance, invoice.currency, ctx.paid_day(invoice), name, account)
    scene = ctx.scene(client, invoice.balance, invoice.currency, payment.day)
    text, traits = free_text(ctx.rng, name="", scene=scene)
    same = sum(1 for i in ctx.company.open_of(client) if i.balance == invoice.balance)
    traits += [payer_trait, "client:single_match" if same == 1 else "client:several_match"]
    ctx.place(payment, text, traits, reference=False)
    return [(payment, Truth(NAME_ONLY, [(invoice, invoice.balance)], traits=traits))]
