"""A tenant's reference patterns: checked when saved, run by RE2 (linear time) when matching."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from payymo.reconciliation.engine import Rules, Status, decide_all
from payymo.reconciliation.engine.patterns import MAX_PATTERN_LENGTH, MAX_PATTERNS
from payymo.reconciliation.engine.references import Strength, find_references
from payymo.reconciliation.rules import engine_rules
from payymo.tenants.schemas import MatchingRules, TenantSettingsModel
from tests.unit.reconciliation.test_engine import invoice, tx


def tenant_rules(*patterns: str) -> Rules:
    return engine_rules(MatchingRules(reference_patterns=list(patterns)))


def refused(*patterns: str) -> list[tuple[tuple[str | int, ...], str]]:
    with pytest.raises(ValidationError) as caught:
        MatchingRules(reference_patterns=list(patterns))
    return [(e["loc"], e["msg"]) for e in caught.value.errors()]


def test_a_tenant_pattern_makes_the_number_it_captures_a_strong_reference() -> None:
    payment, invoices = tx("hosting 20261024", 2900), [invoice("1024", 2900), invoice("1025", 2900)]
    (plain,) = decide_all([payment], invoices, Rules())  # a long number is no reference
    (decision,) = decide_all([payment], invoices, tenant_rules(r"\b2026(\d{4})\b"))
    assert plain.status is not Status.AUTO
    assert decision.status is Status.AUTO
    assert [a.invoice_id for a in decision.allocations] == ["1024"]


def test_patterns_match_regardless_of_case_and_group_one_is_the_number_even_when_named() -> None:
    rules = tenant_rules(r"(?P<number>\d+)/acme", r"KD(\d+)?-X")
    refs = find_references("Paid 1024/ACME and kd-x", rules.reference_patterns)
    assert [(r.value, r.strength) for r in refs if r.strength is Strength.STRONG] == [
        ("1024", Strength.STRONG)
    ]


def test_the_catastrophic_pattern_runs_on_re2_so_a_long_text_does_not_stall_matching() -> None:
    # Under Python's re this search backtracks exponentially and never finishes.
    patterns = tenant_rules("(a+)+$").reference_patterns
    assert find_references("a" * 5000 + "!", patterns) == []
    assert find_references("a" * 10_000, patterns)[0].value == "A" * 10_000


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        (r"(a)\1", r"invalid escape sequence: \1"),  # backreference
        (r"(?=INV)(\d+)", "invalid perl operator: (?="),  # lookahead
        (r"(?<!\d)(\d{6})", "invalid perl operator: (?<!"),  # lookbehind
        (r"INV(\d++)", "bad repetition operator: ++"),  # possessive
        (r"INV(\d+", "missing )"),  # syntax
    ],
)
def test_a_pattern_re2_refuses_is_refused_naming_its_index_and_re2s_reason(
    pattern: str, reason: str
) -> None:
    [(where, message)] = refused(r"ACME-(\d+)", pattern)
    assert where == ("reference_patterns", 1)
    assert reason in message
    assert "RE2" in message


def test_a_pattern_without_a_group_for_the_number_is_refused() -> None:
    [(where, message)] = refused(r"INV\d+")
    assert where == ("reference_patterns", 0)
    assert "group" in message


def test_patterns_are_capped_in_number_and_length() -> None:
    assert MatchingRules(reference_patterns=[r"A(\d+)"] * MAX_PATTERNS)
    [(where, _)] = refused(*[r"A(\d+)"] * (MAX_PATTERNS + 1))
    assert where == ("reference_patterns",)
    longest = "(" + "A" * (MAX_PATTERN_LENGTH - 2) + ")"
    assert MatchingRules(reference_patterns=[longest])
    [(where, message)] = refused(longest + "B")
    assert where == ("reference_patterns", 0)
    assert str(MAX_PATTERN_LENGTH) in message


def test_a_pattern_saved_before_re2_reads_back_and_the_engine_skips_it() -> None:
    stored = {"matching": {"reference_patterns": [r"(?<!\d)(\d{4})", r"ACME-(\d+)"]}}
    settings = TenantSettingsModel.stored(stored)
    assert settings.matching.reference_patterns == stored["matching"]["reference_patterns"]
    rules = engine_rules(settings.matching)
    assert [p.source for p in rules.reference_patterns] == [r"ACME-(\d+)"]
    with pytest.raises(ValidationError):
        TenantSettingsModel.model_validate(stored)
