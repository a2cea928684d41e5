"""Finding invoice references in remittance text, and the numbers that are not references.

A number counts as a reference when an invoice word in one of several languages stands before
it ("Invoice 1024", "INV-1024", "Rechnung Nr. 1024", "Facture n° 1024", "#1024"), when it
continues such a list ("INV 1024 + 1025"), when it is an ISO 11649 creditor reference (RF…),
or when a tenant's pattern (`patterns.py`) captures it: that is strong evidence. A number
standing alone is weak evidence. Numbers that are dates, periods, sort codes, phone numbers,
IBANs, account numbers or amounts, or that another label claims ("Order 1024", "Kundennr. 22"),
never count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum
from functools import lru_cache

from payymo.reconciliation.engine.patterns import TenantPattern
from payymo.reconciliation.engine.words import (
    FILLERS,
    INVOICE_WORDS,
    LIST_JOINERS,
    LIST_PUNCT,
    OTHER_WORDS,
    SKIPPABLE_PUNCT,
)
from payymo.text import fold


class Strength(IntEnum):
    WEAK = 1
    STRONG = 2


@dataclass(frozen=True, slots=True)
class Ref:
    value: str  # digits without leading zeros, or an upper-case invoice number
    strength: Strength
    numeric: bool


# Numbers that are not references, grouped by how they begin: the regex engine tries only
# the group that can start where it stands (trying all thirteen at every character was the
# engine's costliest step). The first two groups start words; no two patterns of different
# groups can match at the same place, and each group keeps the order of its patterns.
_STARTS_WITH_DIGIT = (
    r"\d{4}-\d{1,2}-\d{1,2}\b",  # 2026-11-26
    r"\d{1,2}[./-]\d{1,2}[./-]\d{2,4}\b",  # 26.11.2026, 26/11/26
    r"(?:0?[1-9]|1[0-2])/(?:19|20)\d{2}\b",  # 11/2026
    r"\d{2}-\d{2}-\d{2}\b",  # sort code 20-00-00
    r"\d+[.,]\d{2}\b",  # 12.30, 12,30
    r"\d+[.,]\d{1,2}\s?(?:EUR|USD|GBP|CHF|SEK|CAD|AUD|€|\$|£)",
    r"\d{8,}\b",  # account and card numbers
)
_STARTS_WITH_LETTER = (
    r"[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){2,7}(?:\s?[A-Z0-9]{1,3})?\b",  # IBAN
    r"(?:TEL|PHONE|FAX)\.?:?\s*\d[\d\s/-]{5,}\d",
    r"Q[1-4]\s+(?:19|20)\d{2}\b",
    r"(?:JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)[A-Z]*\.?\s+(?:19|20)\d{2}\b",
)
_ANYWHERE = (
    r"\+\d[\d\s]{6,}\d",  # +44 20 7946 0958
    r"(?:EUR|USD|GBP|CHF|SEK|CAD|AUD|€|\$|£)\s?\d+(?:[.,]\d{1,2})?",
)
_NOT_REFERENCES = re.compile(
    rf"\b(?:(?=\d)(?:{'|'.join(_STARTS_WITH_DIGIT)})|(?=[A-Z])(?:{'|'.join(_STARTS_WITH_LETTER)}))"
    rf"|{'|'.join(_ANYWHERE)}"
)
_RF = re.compile(r"\bRF(\d{2})([A-Z0-9]{1,21})\b")
_TOKEN = re.compile(r"[^\W\d_]+|\d+|\S")
# Possessive runs, and no start inside a run: a run that fails at its first character fails
# at every later one, and trying them all made this scan quadratic in the word's length.
_COMPOUND = re.compile(
    r"(?<![A-Z0-9])[A-Z0-9]++(?:[/-][A-Z0-9]++)+|(?<![A-Z])[A-Z]++\d++[A-Z0-9]*+"
)
_DIGIT = re.compile(r"\d")
# Tokens of folded text are upper case: compared as they are, not lowered one by one.
_INVOICE, _OTHER, _FILLERS, _JOINERS = (
    frozenset(w.upper() for w in words)
    for words in (INVOICE_WORDS, OTHER_WORDS, FILLERS, LIST_JOINERS)
)


def find_references(
    text: str,
    patterns: tuple[TenantPattern, ...] = (),
    *,
    numbers: frozenset[str] = frozenset(),
    folded: str | None = None,
) -> list[Ref]:
    """Every reference in `text`; `numbers` are the tenant's non-numeric invoice numbers.
    `folded` is `fold(text)` when the caller has it already."""
    if folded is None:
        folded = fold(text)
    refs = [
        Ref(_plain(number), Strength.STRONG, number.isdigit())
        for pattern in patterns
        for number in pattern.numbers(text)
    ]
    if "RF" in folded:
        refs += _creditor_references(folded)
    digits = _has_digits(folded)
    masked = _mask(folded, _NOT_REFERENCES) if digits else folded
    # A known number quoted shows its separator (or, when some have none, its digits).
    separated = "-" in masked or "/" in masked
    if numbers and (separated or (digits and not _all_separated(numbers))):
        for match in _COMPOUND.finditer(masked):
            if (found := _known_tail(match.group(0), numbers)) is not None:
                refs.append(Ref(found, Strength.STRONG, False))
                start, end = match.span()
                masked = masked[:start] + " " * (end - start) + masked[end:]
    if digits:
        refs += _labelled_numbers(masked)
    return refs


def _has_digits(folded: str) -> bool:
    r"""Whether any number may be in the text; without one there is nothing to mask or label.
    (Beyond ASCII, `str.isdigit` also accepts a few digits that `\d` does not.)"""
    if _DIGIT.search(folded) is not None:
        return True
    return not folded.isascii() and any(ch.isdigit() for ch in folded)


@lru_cache(maxsize=8)
def _all_separated(numbers: frozenset[str]) -> bool:
    return all("-" in n or "/" in n for n in numbers)


BARRIER = "¤"  # stands where a masked number was: label lookback stops there


def _mask(text: str, pattern: re.Pattern[str]) -> str:
    return pattern.sub(lambda m: BARRIER + " " * (len(m.group(0)) - 1), text)


def _known_tail(token: str, numbers: frozenset[str]) -> str | None:
    """`token`, or its part after a separator or a letter prefix, if it is an invoice number:
    "INV-2026-00293" and "INV2026-00293" both quote "2026-00293"."""
    for i in range(len(token)):
        starts = i == 0 or token[i - 1] in "/-" or (token[i].isdigit() and token[i - 1].isalpha())
        if starts and token[i:] in numbers:
            return token[i:]
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
    tokens = _TOKEN.findall(masked)
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
    """How strongly the (folded) tokens before number `i` say it is an invoice reference
    (None: not), and whether it continues a list of numbers."""
    j, hash_seen, joined = i - 1, False, False
    while j >= 0:
        word = tokens[j]
        if word == "#":
            hash_seen = True
        elif word in LIST_PUNCT or word in _JOINERS:
            joined = True
        elif word in _FILLERS or word in SKIPPABLE_PUNCT:
            pass
        elif word.isdigit():
            if joined and previous is not None:
                return max(previous, _alone(hash_seen)), True
            return _alone(hash_seen), False
        elif word in _INVOICE:
            return Strength.STRONG, False
        elif word in _OTHER:
            return None, False
        else:
            return _alone(hash_seen), False
        j -= 1
    return _alone(hash_seen), False


def _alone(hash_seen: bool) -> Strength:
    return Strength.STRONG if hash_seen else Strength.WEAK
