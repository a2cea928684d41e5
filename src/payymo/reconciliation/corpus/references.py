"""How payers write invoice references, and the numbers around them that are not references.

Every format a clear payment may use is listed here (`SINGLE_FORMATS`, `MULTI_FORMATS`,
`rf_reference`): a clear payment's text contains one of them, rendered with the invoice id or
invoice number, possibly upper- or lower-cased, folded to ASCII, with words around it.
"""

from __future__ import annotations

import random
import textwrap
from dataclasses import dataclass
from datetime import date

from payymo.money import format_minor
from payymo.sandbox.world import iban

from .draw import Weighted, chance
from .names import fold

SINGLE_FORMATS: tuple[str, ...] = (
    *("Invoice {n}", "Invoice #{n}", "Invoice no. {n}", "INV-{n}", "INV{n}", "INV {n}"),
    *("inv {n}", "#{n}", "Rechnung Nr. {n}", "Rechnung {n}", "Rechnungsnr. {n}", "RE {n}"),
    *("Rg. {n}", "Factuur {n}", "Factuurnummer {n}", "Facture n° {n}", "Facture {n}"),
    *("Factura {n}", "Factura nº {n}", "Fattura {n}", "Fattura n. {n}", "Faktura {n}"),
    *("Payment invoice {n}", "{n}"),
)
BARE_FORMAT = "{n}"  # only ever alone with its number: no other digits in the text
# (prefix, item, separator): "INV 1024 + 1025", "1024/1025", "Rechnungen 1024 und 1025".
MULTI_FORMATS: tuple[tuple[str, str, str], ...] = (
    ("INV ", "{n}", " + "),
    ("", "{n}", "/"),
    ("Invoices ", "{n}", ", "),
    ("Invoice ", "{n}", " and "),
    ("Rechnungen ", "{n}", " und "),
    ("Rechnungen ", "{n}", ", "),
    ("Factures ", "{n}", " et "),
    ("Facturen ", "{n}", " en "),
    ("", "INV-{n}", " "),
    ("", "#{n}", " "),
    ("", "Invoice {n}", ", "),
)
PREFIXES = ("Payment ", "Zahlung ", "Betaling ", "Paiement ", "Pago ", "Überweisung ")
SUFFIXES = (
    *("thanks", "thank you", "danke", "vielen Dank", "merci", "bedankt", "gracias", "grazie"),
    *("hosting", "webhosting", "domain renewal", "VPS", "server", "SSL"),
)
FREE_TEXTS = (
    *("", "Hosting", "Webhosting", "Payment", "Zahlung", "Betaling", "Paiement", "Server"),
    *("Domain", "hosting invoice", "Rechnung", "Invoice", "thanks", "Hosting Dezember"),
    *("Webhosting Jahresbeitrag", "Facture hébergement", "monthly hosting", "open invoices"),
)
ARRAY_LEADS = ("SEPA CREDIT TRANSFER", "GUTSCHRIFT", "SEPA-UEBERWEISUNG", "VIREMENT SEPA RECU")
SEPA_LINE = 35  # SEPA splits unstructured remittance into 35-character lines
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True, slots=True)
class Scene:
    """What distractor numbers are made of: the payment's own day, payer and amount."""

    day: date
    client_id: int
    amount: int
    currency: str
    max_invoice_id: int


def render_single(fmt: str, number: str) -> str:
    return fmt.format(n=number)


def render_multi(fmt: tuple[str, str, str], numbers: list[str]) -> str:
    prefix, item, separator = fmt
    return prefix + separator.join(item.format(n=n) for n in numbers)


def rf_reference(number: str) -> str:
    """An ISO 11649 creditor reference ("RF18 1024" without the space) built on `number`."""
    body = "".join(ch for ch in number if ch.isalnum()).upper()
    digits = "".join(str(int(ch, 36)) for ch in body + "RF00")
    return f"RF{98 - int(digits) % 97:02d}{body}"


def transpose(number: str, rng: random.Random) -> str:
    """The number with two neighbouring digits swapped (or one digit off if none can be)."""
    spots = [
        i
        for i in range(len(number) - 1)
        if number[i] != number[i + 1] and not (i == 0 and number[1] == "0")
    ]
    if not spots:
        return number[:-1] + str((int(number[-1]) + 1) % 10)
    i = rng.choice(spots)
    return number[:i] + number[i + 1] + number[i] + number[i + 2 :]


def decorate(
    rng: random.Random, core: str, *, name: str, bare: bool, scene: Scene
) -> tuple[str, list[str]]:
    """`core` the way a payer types it: words and distractors around it, case, bank folding."""
    traits: list[str] = []
    before: list[str] = [rng.choice(PREFIXES).strip()] if chance(rng, 12) else []
    after: list[str] = []
    if chance(rng, 35):
        after.append(name if name and chance(rng, 35) else rng.choice(SUFFIXES))
    if not bare and chance(rng, 35):
        for _ in range(2 if chance(rng, 30) else 1):
            text, trait = distractor(rng, scene)
            (before if chance(rng, 30) else after).append(text)
            traits.append(trait)
    return _finish(rng, " ".join([*before, core, *after]), traits)


def free_text(
    rng: random.Random, *, name: str, scene: Scene, distractors: int = 40
) -> tuple[str, list[str]]:
    """A remittance text that quotes no invoice, often with numbers that must not count."""
    parts = [rng.choice(FREE_TEXTS)]
    if name and chance(rng, 25):
        parts.append(name)
    traits: list[str] = []
    if chance(rng, distractors):
        text, trait = distractor(rng, scene)
        parts.append(text)
        traits.append(trait)
    return _finish(rng, " ".join(p for p in parts if p), traits)


def _finish(rng: random.Random, text: str, traits: list[str]) -> tuple[str, list[str]]:
    style = rng.randrange(100)
    if style < 30:
        text = text.upper()
    elif style < 45:
        text = text.lower()
    if chance(rng, 8):
        text, traits = fold(text), [*traits, "text:folded"]
    return text, traits


def array_lines(rng: random.Random, text: str) -> list[str]:
    """`text` split into 35-character lines at spaces, sometimes after a bank's own first line."""
    lines = textwrap.wrap(text, SEPA_LINE, break_long_words=False, break_on_hyphens=False)
    if chance(rng, 40):
        lines.insert(0, rng.choice(ARRAY_LEADS))
    return lines or [""]


def distractor(rng: random.Random, scene: Scene) -> tuple[str, str]:
    """One number that is not an invoice reference, and its trait ("distractor:date")."""
    kind = DISTRACTORS.pick(rng)
    return _MAKERS[kind](rng, scene), f"distractor:{kind}"


def _date(rng: random.Random, scene: Scene) -> str:
    pattern = rng.choice(("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%y", "%d.%m.%y", "%d/%m/%Y"))
    return rng.choice(("", "vom ", "du ", "dated ")) + scene.day.strftime(pattern)


def _sort_code(rng: random.Random, scene: Scene) -> str:
    code = f"{rng.randrange(10, 100)}-{rng.randrange(100):02d}-{rng.randrange(100):02d}"
    return rng.choice(("", "SC ", "Sort code ")) + code


def _phone(rng: random.Random, scene: Scene) -> str:
    if chance(rng, 50):
        return f"+44 20 {rng.randrange(7000, 8000)} {rng.randrange(10000):04d}"
    return f"Tel. 0{rng.randrange(30, 90)} {rng.randrange(1000000, 9999999)}"


def _account(rng: random.Random, scene: Scene) -> str:
    if chance(rng, 50):
        raw = iban(rng, rng.choice(("DE", "NL", "FR", "GB")))
        return "IBAN " + " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))
    return f"{rng.choice(('Acct', 'Konto', 'Account no.'))} {rng.randrange(10**7, 10**10)}"


def _customer(rng: random.Random, scene: Scene) -> str:
    label = rng.choice(
        ("Kundennr.", "Kd-Nr.", "client", "customer no.", "Klantnummer", "Client ID")
    )
    return f"{label} {scene.client_id}"


def _order(rng: random.Random, scene: Scene) -> str:
    # Order numbers live in the same range as invoice ids, so some are an invoice's id.
    number = rng.randrange(1000, max(scene.max_invoice_id, 1001) + 1)
    return f"{rng.choice(('Order', 'Bestellung', 'order no.', 'Auftrag', 'Commande'))} {number}"


def _amount(rng: random.Random, scene: Scene) -> str:
    plain = format_minor(abs(scene.amount), scene.currency)
    if chance(rng, 50):
        return f"{scene.currency} {plain.replace('.', ',')}"
    return f"{plain} {scene.currency}"


def _period(rng: random.Random, scene: Scene) -> str:
    month, year = scene.day.month, scene.day.year
    return rng.choice((f"{month:02d}/{year}", f"{MONTHS[month - 1]} {year}", f"Q4 {year}"))


_MAKERS = {
    "date": _date,
    "sort_code": _sort_code,
    "phone": _phone,
    "account": _account,
    "customer_number": _customer,
    "order_number": _order,
    "amount": _amount,
    "period": _period,
}
DISTRACTORS = Weighted(
    [
        ("date", 25),
        ("sort_code", 8),
        ("phone", 8),
        ("account", 8),
        ("customer_number", 15),
        ("order_number", 14),
        ("amount", 12),
        ("period", 10),
    ]
)
