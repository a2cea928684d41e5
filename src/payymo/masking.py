"""Masking personal account numbers for API responses and logs."""

from __future__ import annotations


def mask_iban(iban: str | None) -> str | None:
    """Keep the country, check digits and last four characters: DE89 **** 3000."""
    if not iban:
        return iban
    compact = iban.replace(" ", "")
    if len(compact) <= 8:
        return "*" * len(compact)
    return f"{compact[:4]} **** {compact[-4:]}"
