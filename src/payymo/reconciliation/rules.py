"""A tenant's matching rules (settings, or an offline RULES.toml) as the engine's `Rules`."""

from __future__ import annotations

import re

from payymo.money import Money, parse_amount
from payymo.reconciliation.engine import Rules
from payymo.tenants.schemas import MatchingRules


def engine_rules(matching: MatchingRules) -> Rules:
    """The tolerance is read in two-decimal minor units, as most currencies have."""
    return Rules(
        auto_threshold=matching.auto_threshold,
        min_margin=matching.min_margin,
        fee_tolerance_minor=Money.rounded(parse_amount(matching.fee_tolerance), "EUR").to_minor(),
        reference_patterns=tuple(re.compile(p, re.IGNORECASE) for p in matching.reference_patterns),
    )
