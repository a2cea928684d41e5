"""Text folded for comparison: upper case without accents, as the engine reads payments and as
list endpoints search (`q=garcia` finds "García" on SQLite and PostgreSQL alike)."""

from __future__ import annotations

import unicodedata

# Separates the parts of a search text, so that a search never matches across two of them.
_PARTS = "\n"
ESCAPE = "/"  # the LIKE escape character of `contains_pattern`


class _CombiningMarks(dict[int, int | None]):
    """A `str.translate` table that deletes combining marks, filled as characters are met."""

    def __missing__(self, code: int) -> int | None:
        kept = None if unicodedata.combining(chr(code)) else code
        self[code] = kept
        return kept


_WITHOUT_MARKS = _CombiningMarks()


def fold(text: str) -> str:
    """Upper case without accents, so "Facture n° 1024" and "FACTURE N 1024" read alike."""
    if text.isascii():
        return text.upper()
    return unicodedata.normalize("NFKD", text).translate(_WITHOUT_MARKS).upper()


def search_text(*parts: str | None) -> str:
    """What a row is found by: its searchable fields, folded, one per line."""
    return _PARTS.join(fold(part) for part in parts if part)


def contains_pattern(query: str) -> str:
    """A LIKE pattern (escaped with `ESCAPE`) for search texts that contain `query`, folded."""
    escaped = fold(query.strip()).translate({ord(c): ESCAPE + c for c in (ESCAPE, "%", "_")})
    return f"%{escaped}%"
