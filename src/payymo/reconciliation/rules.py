"""A tenant's matching rules (settings, or an offline RULES.toml) as the engine's `Rules`."""

from __future__ import annotations

from collections.abc import Iterable

from payymo.logs import get_logger
from payymo.money import Money, parse_amount
from payymo.reconciliation.engine import Rules
from payymo.reconciliation.engine.patterns import PatternError, TenantPattern, compile_pattern
from payymo.tenants.schemas import MatchingRules

log = get_logger("payymo.reconciliation")


def engine_rules(matching: MatchingRules) -> Rules:
    """The tolerance is read in two-decimal minor units, as most currencies have."""
    return Rules(
        auto_threshold=matching.auto_threshold,
        min_margin=matching.min_margin,
        fee_tolerance_minor=Money.rounded(parse_amount(matching.fee_tolerance), "EUR").to_minor(),
        reference_patterns=_compiled(matching.reference_patterns),
    )


def _compiled(sources: Iterable[str]) -> tuple[TenantPattern, ...]:
    patterns = []
    for index, source in enumerate(sources):
        try:
            patterns.append(compile_pattern(source))
        except PatternError as exc:
            # Saved before RE2 ran tenant patterns (see tenants.schemas): without it the run
            # finds fewer references, so more goes to review, never to a wrong invoice.
            log.warning("reference_pattern_skipped", index=index, reason=str(exc))
    return tuple(patterns)
