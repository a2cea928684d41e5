"""A tenant's own reference patterns, compiled and run by RE2.

Matching with them takes time linear in the text, whatever the pattern: Python's `re`
backtracks, and a saved "(a+)+$" stalled matching for 20 s on a 28-character remittance (twice
as long per added character). RE2 refuses what it cannot run in linear time (backreferences,
lookaround, possessive quantifiers) and says why; that reason is what a tenant is shown.
Payymo's own patterns (`references.py`) stay on `re`: they are ours, written for it and tested.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import re2

MAX_PATTERNS = 20  # per tenant: each is one more pass over every remittance text
MAX_PATTERN_LENGTH = 200  # characters: bounds the compiled program, hence the time per character

_OPTIONS = re2.Options()
_OPTIONS.case_sensitive = False
_OPTIONS.log_errors = False  # the reason is raised to the caller, not printed on stderr


class PatternError(ValueError):
    """RE2 refuses the pattern, or it has no group to capture the invoice number."""


@dataclass(frozen=True, slots=True)
class TenantPattern:
    """A compiled pattern; group 1 of each match is an invoice number. Equal by its source."""

    source: str
    regexp: Any = field(repr=False, compare=False)  # re2's compiled pattern (untyped)

    def numbers(self, text: str) -> Iterator[str]:
        """Group 1 of every match in `text`, left to right; empty or unmatched ones skipped."""
        for match in self.regexp.finditer(text):
            if number := match.group(1):
                yield number


def compile_pattern(source: str) -> TenantPattern:
    """`source` compiled case-insensitively, or PatternError with RE2's reason."""
    try:
        regexp = re2.compile(source, _OPTIONS)
    except re2.error as exc:
        raise PatternError(f"RE2 cannot use this pattern: {_reason(exc)}") from None
    if regexp.groups < 1:
        raise PatternError("needs a group, like (\\d+), capturing the invoice number")
    return TenantPattern(source, regexp)


def _reason(exc: Exception) -> str:
    reason = exc.args[0] if exc.args else "invalid"
    return reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)
