"""Masking personal account numbers and secret tokens for API responses and logs."""

from __future__ import annotations

import re

from payymo.auth.tokens import _OPAQUE_RE

# The one definition of the opaque-token format, matched anywhere in a text rather than as the
# whole of it.
_OPAQUE_IN_TEXT_RE = re.compile(_OPAQUE_RE.pattern.removeprefix("^").removesuffix("$"))


def mask_iban(iban: str | None) -> str | None:
    """Keep the country, check digits and last four characters: DE89 **** 3000."""
    if not iban:
        return iban
    compact = iban.replace(" ", "")
    if len(compact) <= 8:
        return "*" * len(compact)
    return f"{compact[:4]} **** {compact[-4:]}"


def mask_tokens(text: str) -> str:
    """Every opaque token in `text` (reset, invitation, refresh, API key) keeps its kind and
    tenant, never its secret part: `prt_<tenant hex>_***`."""
    return _OPAQUE_IN_TEXT_RE.sub(r"\g<kind>_\g<tenant>_***", text)
