"""The closed set of truth categories, what the engine may do with each, and their target shares."""

from __future__ import annotations

from dataclasses import dataclass

EXACT_REFERENCE = "exact_reference"
MULTI_REFERENCE = "multi_reference"
MULTI_SUBSET = "multi_subset"
PARTIAL = "partial"
OVERPAYMENT = "overpayment"
FEE_DEDUCTED = "fee_deducted"
WRONG_CURRENCY = "wrong_currency"
TYPO_REFERENCE = "typo_reference"
AMOUNT_ONLY = "amount_only"
NAME_ONLY = "name_only"
PENDING = "pending"
DUPLICATE_DELIVERY = "duplicate_delivery"
PAID_OR_CANCELLED_REFERENCE = "paid_or_cancelled_reference"
DEBIT = "debit"
STRIPE_PAYOUT = "stripe_payout"
UNRELATED_CREDIT = "unrelated_credit"

# What auto-posting a transaction of a category means for the engine's acceptance figures.
AUTO_EXPECTED = "expected"  # the `clear` ones: at least 95% must be auto, and correctly
AUTO_ALLOWED = "allowed"  # normally review; an auto is right only with exactly the truth's split
AUTO_NEVER = "never"  # any auto is a false positive


@dataclass(frozen=True)
class Category:
    """One truth kind: the status the engine should normally give it and its share of entries."""

    name: str
    status: str  # a DecisionStatus value: auto | review | unmatched | ignored
    auto: str  # AUTO_EXPECTED | AUTO_ALLOWED | AUTO_NEVER
    per_mille: int  # target share of the body's entries when there are enough open invoices
    invoices_each: int  # open invoices one entry consumes, in tenths (multi ones take ~2.4)


CATEGORIES: tuple[Category, ...] = (
    Category(EXACT_REFERENCE, "auto", AUTO_EXPECTED, 380, 10),
    Category(MULTI_REFERENCE, "auto", AUTO_EXPECTED, 30, 24),
    Category(MULTI_SUBSET, "review", AUTO_ALLOWED, 15, 23),
    Category(PARTIAL, "review", AUTO_ALLOWED, 25, 10),
    Category(OVERPAYMENT, "review", AUTO_NEVER, 15, 10),
    Category(FEE_DEDUCTED, "review", AUTO_ALLOWED, 25, 10),
    Category(WRONG_CURRENCY, "review", AUTO_NEVER, 10, 10),
    Category(TYPO_REFERENCE, "review", AUTO_NEVER, 10, 10),
    Category(AMOUNT_ONLY, "review", AUTO_NEVER, 30, 10),
    Category(NAME_ONLY, "review", AUTO_ALLOWED, 40, 10),
    Category(PENDING, "review", AUTO_NEVER, 25, 10),
    Category(DUPLICATE_DELIVERY, "auto", AUTO_EXPECTED, 10, 5),
    Category(PAID_OR_CANCELLED_REFERENCE, "review", AUTO_NEVER, 25, 0),
    Category(DEBIT, "ignored", AUTO_NEVER, 240, 0),
    Category(STRIPE_PAYOUT, "ignored", AUTO_NEVER, 40, 0),
    Category(UNRELATED_CREDIT, "unmatched", AUTO_NEVER, 80, 0),
)
BY_NAME: dict[str, Category] = {c.name: c for c in CATEGORIES}
KINDS: tuple[str, ...] = tuple(c.name for c in CATEGORIES)
PAYING_KINDS: frozenset[str] = frozenset(c.name for c in CATEGORIES if c.invoices_each)
# Where entries go that open invoices cannot feed (few invoices, many transactions).
FALLBACK_WEIGHTS: tuple[tuple[str, int], ...] = (
    (DEBIT, 240),
    (UNRELATED_CREDIT, 80),
    (STRIPE_PAYOUT, 40),
    (PAID_OR_CANCELLED_REFERENCE, 25),
)
PENDING_TWIN_PERCENT = 40  # pending payments that also appear booked, with another text
