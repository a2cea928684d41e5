"""Comparing a payer's name with a client's: normalised, then fuzzy (rapidfuzz)."""

from __future__ import annotations

import re
from functools import lru_cache

from rapidfuzz import fuzz

from payymo.text import fold

TITLES = frozenset(
    [
        "MR",
        "MRS",
        "MS",
        "MISS",
        "DR",
        "PROF",
        "HERR",
        "FRAU",
        "MME",
        "MLLE",
        "M",
        "MEVR",
        "DHR",
        "SR",
        "SRA",
        "SIG",
        "SIGRA",
    ]
)
LEGAL_FORMS = frozenset(
    [
        "LTD",
        "LIMITED",
        "GMBH",
        "BV",
        "NV",
        "SARL",
        "SAS",
        "SA",
        "SL",
        "SLU",
        "AG",
        "KG",
        "UG",
        "INC",
        "LLC",
        "LLP",
        "PLC",
        "CO",
        "CORP",
        "SRL",
        "SPA",
        "AB",
        "AS",
        "OY",
        "APS",
        "OHG",
        "EK",
        "EURL",
        "BVBA",
    ]
)
_NON_WORD = re.compile(r"[^A-Z0-9 ]+")


@lru_cache(maxsize=200_000)
def normalize_name(name: str) -> str:
    """Upper case, no accents or punctuation, no titles or legal forms: "Müller GmbH" -> MULLER."""
    words = _NON_WORD.sub(" ", fold(name).replace(".", "")).split()
    kept = [w for w in words if w not in TITLES and w not in LEGAL_FORMS]
    return " ".join(kept or words)


def similarity(payer: str, *names: str) -> float:
    """0..100: how well `payer` matches the best of `names` (token sets, order-insensitive)."""
    left = normalize_name(payer)
    if not left:
        return 0.0
    best = 0.0
    for name in names:
        right = normalize_name(name) if name else ""
        if right and (score := fuzz.token_set_ratio(left, right)) > best:
            best = score
    return best
