"""The clients of the hosting company, their bank accounts and how their payments are signed."""

from __future__ import annotations

import random
import string
from collections.abc import Callable
from dataclasses import dataclass

from payymo.sandbox.world import iban

from .draw import Weighted, chance
from .names import (
    ACCOUNTANTS,
    BRAND_NOUNS,
    BRAND_WORDS,
    COMPANY_FORMS,
    FIRST,
    FORM_VARIANTS,
    LAST,
    TITLES,
    fold,
    transliterate,
)

# (country, currency) per mille of clients.
COUNTRIES = Weighted(
    [
        (("DE", "EUR"), 220),
        (("NL", "EUR"), 120),
        (("FR", "EUR"), 80),
        (("ES", "EUR"), 50),
        (("IE", "EUR"), 30),
        (("GB", "GBP"), 220),
        (("US", "USD"), 160),
        (("CH", "CHF"), 40),
        (("SE", "SEK"), 30),
        (("CA", "CAD"), 30),
        (("AU", "AUD"), 20),
    ]
)
IBAN_COUNTRIES = frozenset({"DE", "NL", "FR", "ES", "IE", "GB"})  # the ones world.iban() knows
VAT_PERCENT = {"DE": 19, "NL": 21, "FR": 20, "ES": 21, "IE": 23, "GB": 20}


@dataclass(frozen=True, slots=True)
class Client:
    id: int
    firstname: str
    lastname: str
    companyname: str
    country: str
    currency: str
    title: str
    account: dict[str, str]
    second_account: dict[str, str] | None
    spouse: str  # "" when nobody else pays for this client
    spouse_account: dict[str, str] | None
    accountant: int | None  # index into ACCOUNTANT_ACCOUNTS: the firm that pays some invoices
    plan: int  # index of the plan price this client usually pays
    vat_percent: int


def account_ref(rng: random.Random, country: str) -> dict[str, str]:
    """A GoCardless account reference: an IBAN where the country has one, else a bban."""
    if country in IBAN_COUNTRIES:
        return {"iban": iban(rng, country)}
    return {"bban": "".join(rng.choices(string.digits, k=rng.choice((9, 10, 12))))}


def accountant_accounts(rng: random.Random) -> tuple[dict[str, str], ...]:
    return tuple(account_ref(rng, rng.choice(("DE", "NL", "FR", "GB"))) for _ in ACCOUNTANTS)


def make_client(rng: random.Random, client_id: int, *, plans: int) -> Client:
    country, currency = COUNTRIES.pick(rng)
    first, last = rng.choice(FIRST), rng.choice(LAST)
    company = _company(rng, country, last) if chance(rng, 45) else ""
    has_spouse = not company and chance(rng, 15)
    return Client(
        id=client_id,
        firstname=first,
        lastname=last,
        companyname=company,
        country=country,
        currency=currency,
        title=rng.choice(TITLES),
        account=account_ref(rng, country),
        second_account=account_ref(rng, country) if chance(rng, 12) else None,
        spouse=f"{rng.choice(FIRST)} {last}" if has_spouse else "",
        spouse_account=account_ref(rng, country) if has_spouse else None,
        accountant=rng.randrange(len(ACCOUNTANTS)) if company and chance(rng, 15) else None,
        plan=rng.randrange(plans),
        vat_percent=0 if company else VAT_PERCENT.get(country, 0),
    )


def _company(rng: random.Random, country: str, last: str) -> str:
    form = rng.choice(COMPANY_FORMS[country])
    if chance(rng, 40):
        return f"{last} {rng.choice(BRAND_NOUNS)} {form}"
    return f"{rng.choice(BRAND_WORDS)} {rng.choice(BRAND_NOUNS)} {form}"


# Ways a bank prints "Anna Müller": (trait, builder of the text from title, first, last).
_PERSON_VARIANTS: tuple[tuple[str, Callable[[str, str, str], str]], ...] = (
    ("payer:initials", lambda title, first, last: f"{first[0]}. {last}"),
    ("payer:reordered", lambda title, first, last: f"{last}, {first}"),
    ("payer:reordered", lambda title, first, last: transliterate(f"{last} {first}").upper()),
    ("payer:title", lambda title, first, last: f"{title} {first} {last}"),
    ("payer:accents_stripped", lambda title, first, last: fold(f"{first} {last}").upper()),
    ("payer:accents_stripped", lambda title, first, last: transliterate(f"{first} {last}")),
    ("payer:upper", lambda title, first, last: f"{first} {last}".upper()),
    ("payer:exact", lambda title, first, last: f"{first} {last}"),
    ("payer:exact", lambda title, first, last: f"{first} {last}"),
)


def person_name(rng: random.Random, client: Client) -> tuple[str, str]:
    """The client's own name as some bank prints it, and a trait naming the variant."""
    trait, render = rng.choice(_PERSON_VARIANTS)
    return render(client.title, client.firstname, client.lastname), trait


def company_name(rng: random.Random, client: Client) -> tuple[str, str]:
    name = client.companyname
    form = name.rsplit(" ", 1)[-1]
    variant = rng.randrange(6)
    if variant == 0 and form in FORM_VARIANTS:
        base = name[: -len(form)]
        return base + rng.choice(FORM_VARIANTS[form]), "payer:company_form"
    if variant == 1:
        return transliterate(name).upper(), "payer:upper"
    if variant == 2 and len(name) > 20:
        return name[:20].upper(), "payer:truncated"
    return name, "payer:exact"


def own_payer(rng: random.Random, client: Client) -> tuple[str, dict[str, str], str]:
    """Name, account and trait of a payment the client makes itself."""
    account = client.account
    if client.second_account is not None and chance(rng, 30):
        account = client.second_account
    if client.companyname and chance(rng, 70):
        name, trait = company_name(rng, client)
    else:
        name, trait = person_name(rng, client)
    if chance(rng, 4):
        return "", account, "payer:absent"
    return name, account, trait


def third_party(
    client: Client, accountants: tuple[dict[str, str], ...]
) -> tuple[str, dict[str, str], str] | None:
    """Someone else who pays this client's invoices (a spouse, an accountant), if anyone does."""
    if client.spouse and client.spouse_account is not None:
        return client.spouse, client.spouse_account, "payer:spouse"
    if client.accountant is not None:
        return ACCOUNTANTS[client.accountant], accountants[client.accountant], "payer:accountant"
    return None
