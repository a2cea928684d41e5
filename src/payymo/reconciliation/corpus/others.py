"""Entries that pay no invoice: debits, Stripe payouts and unrelated credits. Many carry
invoice-like numbers or plan-price amounts, because the real ones do."""

from __future__ import annotations

import random
import string
from dataclasses import dataclass

from payymo.sandbox.world import iban

from .categories import DEBIT, STRIPE_PAYOUT, UNRELATED_CREDIT
from .clients import own_payer
from .context import Context
from .customer import Built
from .draw import Weighted, chance
from .entries import Payment, Truth
from .invoices import prices
from .names import FIRST, LAST, OWN_COMPANY
from .plan import SUBSET_SEARCH_LIMIT, Slot, subsets_summing

CURRENCIES = Weighted([("EUR", 70), ("GBP", 20), ("USD", 10)])
SUPPLIERS = (
    *("Hetzner Online GmbH", "OVH SAS", "AWS EMEA SARL", "Google Ireland Ltd", "Cloudflare Ltd"),
    *("Microsoft Ireland Operations", "Telekom Deutschland GmbH", "Equinix UK Ltd"),
    *("Sectigo Ltd", "cPanel LLC", "Tucows Domains Inc", "DigitalOcean LLC", "WHMCS Ltd"),
)
STRIPE_NAMES = ("STRIPE", "Stripe Payments UK Ltd", "STRIPE PAYMENTS EUROPE LTD", "Stripe")
TOP_UPS = (5_000, 10_000, 20_000, 25_000, 50_000, 7_777, 12_345, 31_337)  # cents
STRIPE_TEXTS = ("STRIPE PAYOUT", "STRIPE TRANSFER", "Stripe payout", "STRIPE* PAYOUT")


@dataclass(frozen=True)
class Counterparties:
    """The same suppliers, staff and own accounts recur, as on a real statement."""

    suppliers: tuple[tuple[str, dict[str, str]], ...]
    staff: tuple[tuple[str, dict[str, str]], ...]
    own: dict[str, str]
    stripe: dict[str, str]


def counterparties(rng: random.Random) -> Counterparties:
    def account() -> dict[str, str]:
        return {"iban": iban(rng, rng.choice(("DE", "IE", "NL", "FR", "GB")))}

    staff = tuple((f"{rng.choice(FIRST)} {rng.choice(LAST)}", account()) for _ in range(9))
    return Counterparties(
        suppliers=tuple((name, account()) for name in SUPPLIERS),
        staff=staff,
        own={"iban": iban(rng, "DE")},
        stripe={"iban": iban(rng, "IE")},
    )


def _number(rng: random.Random, ctx: Context) -> int:
    """A document number; half of them in the invoice-id range on purpose."""
    if chance(rng, 50):
        return rng.randrange(1000, max(ctx.company.max_id, 1001) + 1)
    return rng.randrange(10_000, 10_000_000)


def _debit_text(ctx: Context, parties: Counterparties) -> tuple[str, dict[str, str] | None, str]:
    rng = ctx.rng
    style = rng.randrange(10)
    if style < 4:
        name, account = rng.choice(parties.suppliers)
        label = rng.choice(("Invoice", "Rechnung", "INV-", "Facture", "Ref"))
        return f"{label} {_number(rng, ctx)}".replace("- ", "-"), account, name
    if style < 6:
        name, account = rng.choice(parties.staff)
        return f"Salary {ctx.today:%m/%Y}", account, name
    if style < 8:
        name, _ = rng.choice(parties.suppliers)
        return f"VISA {rng.randrange(1000, 10000)} {name.upper()}", None, ""
    if style == 8 and ctx.company.clients:
        client = rng.choice(ctx.company.clients)
        return f"Refund invoice {_number(rng, ctx)}", client.account, client.lastname
    tax = f"Finanzamt USt {ctx.today:%m/%Y}"
    return rng.choice(("Kontofuehrung", "Account fee", tax)), None, ""


def debit(ctx: Context, slot: Slot, parties: Counterparties) -> Built:
    """Money going out: suppliers (some by direct debit), salaries, card spend, refunds, fees."""
    rng = ctx.rng
    text, account, name = _debit_text(ctx, parties)
    amount = -rng.randrange(300, 450_000)
    payment = Payment(amount, CURRENCIES.pick(rng), ctx.any_day(), name, account, text)
    if account is not None and chance(rng, 30):
        payment.extra = {
            "mandateId": f"MNDT{rng.randrange(10**8):08d}",
            "creditorId": f"DE{rng.randrange(10, 100)}ZZZ{rng.randrange(10**11):011d}",
            "bankTransactionCode": "PMNT-RDDT-ESDD",
        }
    return [(payment, Truth(DEBIT))]


def stripe_payout(ctx: Context, slot: Slot, parties: Counterparties) -> Built:
    """A Stripe payout; one in eight is exactly a plan price, to tempt an amount matcher."""
    rng = ctx.rng
    currency = CURRENCIES.pick(rng)
    amount = rng.choice(prices(currency)) if chance(rng, 12) else rng.randrange(2_000, 900_000)
    text = rng.choice(STRIPE_TEXTS)
    if chance(rng, 50):
        suffix = "".join(rng.choices(string.ascii_uppercase + string.digits, k=8))
        text += f" ST-{suffix}" if chance(rng, 50) else f" po_1{suffix}{suffix.lower()}"
    name = rng.choice(STRIPE_NAMES)
    payment = Payment(amount, currency, ctx.any_day(), name, parties.stripe, text)
    return [(payment, Truth(STRIPE_PAYOUT))]


def unrelated_credit(ctx: Context, slot: Slot, parties: Counterparties) -> Built:
    """Money in that pays no invoice: interest, supplier refunds, own transfers, tax refunds, and
    clients topping up credit (their name and IBAN, no invoice of that amount)."""
    rng = ctx.rng
    currency = CURRENCIES.pick(rng)
    style = rng.randrange(10)
    if style < 2:
        payment = Payment(rng.randrange(1, 2500), currency, ctx.any_day(), text="Interest credit")
    elif style < 5:
        name, account = rng.choice(parties.suppliers)
        # A credit note quoting a number in the invoice-id range, now and then of a plan price:
        # a labelled number from a supplier, not a reference, however well the amount fits.
        amount = rng.choice(prices(currency)) if chance(rng, 5) else rng.randrange(500, 90_000)
        text = f"{rng.choice(('Refund order', 'Gutschrift', 'Credit note'))} {_number(rng, ctx)}"
        payment = Payment(amount, currency, ctx.any_day(), name, account, text)
    elif style < 8:
        text = rng.choice(("Transfer from savings", "Umbuchung", "Own account transfer"))
        amount = rng.randrange(10, 500) * 10_000
        payment = Payment(amount, currency, ctx.any_day(), OWN_COMPANY, parties.own, text)
    else:
        payment = _top_up(ctx, rng)
    return [(payment, Truth(UNRELATED_CREDIT))]


def _top_up(ctx: Context, rng: random.Random) -> Payment:
    if not ctx.company.clients:
        return Payment(rng.randrange(100, 90_000), "EUR", ctx.any_day(), text="Erstattung USt")
    client = rng.choice(ctx.company.clients)
    name, account, _ = own_payer(rng, client)
    owed = ctx.company.open_of(client)[:SUBSET_SEARCH_LIMIT]
    amount = next((a for a in TOP_UPS if not subsets_summing(owed, a)), 99_999)
    text = rng.choice(("add funds", "Guthaben aufladen", "Prepayment new server", "deposit"))
    return Payment(amount, client.currency, ctx.any_day(), name, account, text)
