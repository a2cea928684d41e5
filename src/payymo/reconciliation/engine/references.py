"""Finding invoice references in remittance text, and the numbers that are not references.

A number counts as a reference when an invoice word in one of several languages stands before
it ("Invoice 1024", "INV-1024", "Rechnung Nr. 1024", "Facture n° 1024", "#1024"), when it
continues such a list ("INV 1024 + 1025"), when it is an ISO 11649 creditor reference (RF…),
or when a tenant pattern captures it: that is strong evidence. A number standing alone is weak
evidence. Numbers that are dates, periods, sort codes, phone numbers, IBANs, account numbers or
amounts, or that another label claims ("Order 1024", "Kundennr. 22"), never count.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import IntEnum


class Strength(IntEnum):
    WEAK = 1
    STRONG = 2


@dataclass(frozen=True, slots=True)
class Ref:
    value: str  # digits without leading zeros, or an upper-case invoice number
    strength: Strength
    numeric: bool


INVOICE_WORDS = frozenset(
    [
        "invoice",
        "invoices",
        "inv",
        "invno",
        "rechnung",
        "rechnungen",
        "rechnungsnr",
        "rechnungsnummer",
        "re",
        "rg",
        "rgnr",
        "factuur",
        "facturen",
        "factuurnummer",
        "factuurnr",
        "facture",
        "factures",
        "factura",
        "facturas",
        "fattura",
        "fatture",
        "faktura",
        "fakturanr",
        "fakturanummer",
        "bill",
        "proforma",
        "nota",
    ]
)
# Words that may stand between an invoice word and its number.
FILLERS = frozenset(
    ["no", "nr", "n", "nº", "n°", "number", "num", "nummer", "numero", "número", "nro"]
)
# Labels that claim the following number for something other than an invoice.
OTHER_WORDS = frozenset(
    [
        "order",
        "orders",
        "bestellung",
        "auftrag",
        "commande",
        "pedido",
        "ordine",
        "customer",
        "client",
        "kunde",
        "kundennr",
        "kdnr",
        "kd",
        "klant",
        "klantnummer",
        "klantnr",
        "id",
        "account",
        "acct",
        "konto",
        "kontonr",
        "tel",
        "phone",
        "fax",
        "mobile",
        "sc",
        "sort",
        "code",
        "iban",
        "bic",
        "vat",
        "ust",
        "mwst",
        "ticket",
        "contract",
        "vertrag",
        "period",
        "quarter",
        "amount",
        "betrag",
        "eur",
        "usd",
        "gbp",
        "chf",
        "sek",
        "cad",
        "aud",
    ]
)
LIST_JOINERS = frozenset(["and", "und", "en", "et", "y", "e"])
LIST_PUNCT = frozenset("+/,&")
SKIPPABLE_PUNCT = frozenset("#:.-°º")

_NOT_REFERENCES = re.compile(
    "|".join(
        (
            r"\b\d{4}-\d{1,2}-\d{1,2}\b",  # 2026-11-26
            r"\b\d{1,2}[./-]\d{1,2}[./-]\d{2,4}\b",  # 26.11.2026, 26/11/26
            r"\b(?:0?[1-9]|1[0-2])/(?:19|20)\d{2}\b",  # 11/2026
            r"\b\d{2}-\d{2}-\d{2}\b",  # sort code 20-00-00
            r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){2,7}(?:\s?[A-Z0-9]{1,3})?\b",  # IBAN
            r"\+\d[\d\s]{6,}\d",  # +44 20 7946 0958
            r"\b(?:TEL|PHONE|FAX)\.?:?\s*\d[\d\s/-]{5,}\d",
            r"\b\d+[.,]\d{2}\b",  # 12.30, 12,30
            r"(?:EUR|USD|GBP|CHF|SEK|CAD|AUD|€|\$|£)\s?\d+(?:[.,]\d{1,2})?",
            r"\b\d+[.,]\d{1,2}\s?(?:EUR|USD|GBP|CHF|SEK|CAD|AUD|€|\$|£)",
            r"\b\d{8,}\b",  # account and card numbers
            r"\bQ[1-4]\s+(?:19|20)\d{2}\b",
            r"\b(?:JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)[A-Z]*\.?\s+(?:19|20)\d{2}\b",
        )
    )
)
_RF = re.compile(r"\bRF(\d{2})([A-Z0-9]{1,21})\b")
_TOKEN = re.compile(r"[^\W\d_]+|\d+|\S")
_COMPOUND = re.compile(r"[A-Z0-9]+(?:[/-][A-Z0-9]+)+|[A-Z]+\d+[A-Z0-9]*")


def fold(text: str) -> str:
    """Upper case without accents, so "Facture n° 1024" and "FACTURE N 1024" read alike."""
    if text.isascii():
        return text.upper()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).upper()


def find_references(
    text: str, patterns: tuple[re.Pattern[str], ...] = (), *, numbers: frozenset[str] = frozenset()
) -> list[Ref]:
    """Every reference in `text`; `numbers` are the tenant's non-numeric invoice numbers."""
    folded = fold(text)
    refs = [
        Ref(_plain(m.group(1)), Strength.STRONG, m.group(1).isdigit())
        for pattern in patterns
        for m in pattern.finditer(text)
        if m.groups()
    ]
    refs += _creditor_references(folded)
    masked = _mask(folded, _NOT_REFERENCES)
    for match in _COMPOUND.finditer(masked):
        if (found := _known_tail(match.group(0), numbers)) is not None:
            refs.append(Ref(found, Strength.STRONG, False))
            masked = masked[: match.start()] + " " * len(match.group(0)) + masked[match.end() :]
    refs += _labelled_numbers(masked)
    return refs


BARRIER = "¤"  # stands where a masked number was: label lookback stops there


def _mask(text: str, pattern: re.Pattern[str]) -> str:
    return pattern.sub(lambda m: BARRIER + " " * (len(m.group(0)) - 1), text)


def _known_tail(token: str, numbers: frozenset[str]) -> str | None:
    """`token`, or its part after a separator or a letter prefix, if it is an invoice number:
    "INV-2026-00293" and "INV2026-00293" both quote "2026-00293"."""
    starts = {0} | {i + 1 for i, ch in enumerate(token) if ch in "/-"}
    starts |= {i for i in range(1, len(token)) if token[i].isdigit() and token[i - 1].isalpha()}
    for start in sorted(starts):
        if token[start:] in numbers:
            return token[start:]
    return None


def _plain(value: str) -> str:
    return value.lstrip("0") or "0" if value.isdigit() else value.upper()


def _creditor_references(folded: str) -> list[Ref]:
    found = []
    for match in _RF.finditer(folded):
        body = match.group(2)
        digits = "".join(str(int(ch, 36)) for ch in body + "RF" + match.group(1))
        if int(digits) % 97 == 1:
            found.append(Ref(_plain(body), Strength.STRONG, body.isdigit()))
    return found


def _labelled_numbers(masked: str) -> list[Ref]:
    tokens = [t.lower() for t in _TOKEN.findall(masked)]
    refs: list[Ref] = []
    weak_lists = 0  # runs of unlabelled numbers, joined like "1024/1025"
    previous: Strength | None = None
    for i, token in enumerate(tokens):
        if not token.isdigit():
            continue
        strength, continues = _strength_before(tokens, i, previous)
        if strength is Strength.WEAK and not continues:
            weak_lists += 1
        if strength is not None:
            refs.append(Ref(_plain(token), strength, True))
        previous = strength
    if weak_lists > 1:
        # Unlabelled numbers in several places: none of them is clearly the reference.
        refs = [r for r in refs if r.strength is Strength.STRONG]
    return refs


def _strength_before(
    tokens: list[str], i: int, previous: Strength | None
) -> tuple[Strength | None, bool]:
    """How strongly the tokens before number `i` say it is an invoice reference (None: not),
    and whether it continues a list of numbers."""
    j, hash_seen, joined = i - 1, False, False
    while j >= 0:
        word = tokens[j]
        if word == "#":
            hash_seen = True
        elif word in LIST_PUNCT or word in LIST_JOINERS:
            joined = True
        elif word in FILLERS or word in SKIPPABLE_PUNCT:
            pass
        elif word.isdigit():
            if joined and previous is not None:
                return max(previous, _alone(hash_seen)), True
            return _alone(hash_seen), False
        elif word in INVOICE_WORDS:
            return Strength.STRONG, False
        elif word in OTHER_WORDS:
            return None, False
        else:
            return _alone(hash_seen), False
        j -= 1
    return _alone(hash_seen), False


def _alone(hash_seen: bool) -> Strength:
    return Strength.STRONG if hash_seen else Strength.WEAK
