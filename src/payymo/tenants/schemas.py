"""Account API models: the tenant's profile and settings (matching rules included)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from payymo.api.schemas import ApiModel, any_fields, every_field_required
from payymo.money import MoneyError, parse_amount, parse_currency
from payymo.reconciliation.engine.patterns import (
    MAX_PATTERN_LENGTH,
    MAX_PATTERNS,
    PatternError,
    compile_pattern,
)
from payymo.tenants.models import TenantStatus

STORED = {"stored": True}  # validation context: settings read back from the database


class TenantOut(ApiModel):
    id: uuid.UUID
    name: str
    slug: str
    status: TenantStatus
    default_currency: str
    created_at: datetime


class TenantList(ApiModel):
    data: list[TenantOut]


class TenantUpdateIn(ApiModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    default_currency: str | None = Field(default=None, min_length=3, max_length=3)

    @field_validator("default_currency")
    @classmethod
    def _currency(cls, value: str | None) -> str | None:
        try:
            return parse_currency(value) if value is not None else None
        except MoneyError as exc:
            raise ValueError(str(exc)) from None


def _reference_pattern(source: str, info: ValidationInfo) -> str:
    """A pattern is saved only if RE2 runs it. One saved before RE2 ran them reads back as it
    was, so reading settings never fails; the engine skips it and saving again names it."""
    if not (info.context or {}).get("stored"):
        try:
            compile_pattern(source)
        except PatternError as exc:
            reason = {"reason": str(exc)}
            raise PydanticCustomError("reference_pattern", "{reason}", reason) from None
    return source


ReferencePattern = Annotated[
    str, Field(max_length=MAX_PATTERN_LENGTH), AfterValidator(_reference_pattern)
]


class MatchingRules(ApiModel):
    """How the reconciliation engine may act for this tenant."""

    auto_post: bool = Field(default=False, description="Post sure matches to WHMCS")
    shadow_mode: bool = Field(default=True, description="Record what would be auto-posted")
    auto_threshold: float = Field(default=0.95, ge=0.5, le=1.0, description="Confidence needed")
    min_margin: float = Field(
        default=0.2,
        ge=0.0,
        le=1.0,
        description="Lead an automatic decision needs over its runner-up. From about 0.37 a "
        "client's other open invoice of the same amount holds the payment for review; from "
        "about 0.67 any other open invoice of that amount does.",
    )
    fee_tolerance: str = Field(
        default="1.50",
        max_length=16,
        description="Bank fees deducted up to this amount still match",
    )
    reference_patterns: list[ReferencePattern] = Field(
        default_factory=list,
        max_length=MAX_PATTERNS,
        description="Extra regular expressions in RE2 syntax (no backreferences or lookaround), "
        "matched case-insensitively; group 1 is the invoice number",
    )
    stripe_gateway: str = Field(
        default="stripe",
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9_]+$",
        description="WHMCS payment gateway that Stripe payments are posted under",
    )

    @field_validator("fee_tolerance")
    @classmethod
    def _tolerance(cls, value: str) -> str:
        try:
            amount = parse_amount(value)
        except MoneyError as exc:
            raise ValueError(str(exc)) from None
        if amount < 0:
            raise ValueError("must not be negative")
        return value


class TenantSettingsModel(ApiModel):
    require_mfa_for_admins: bool = Field(
        default=False, description="Owners and admins must use MFA to sign in"
    )
    matching: MatchingRules = Field(default_factory=MatchingRules)

    @classmethod
    def stored(cls, raw: Mapping[str, Any] | None) -> TenantSettingsModel:
        """The settings as saved in the database (`{}` when none are)."""
        return cls.model_validate(raw or {}, context=STORED)


# PUT replaces the settings as a whole, so it needs every field; PATCH changes the fields it
# names. Both end validated by TenantSettingsModel itself.
TenantSettingsIn = every_field_required(TenantSettingsModel, "In")
TenantSettingsPatch = any_fields(TenantSettingsModel, "Patch")


class DeleteTenantIn(ApiModel):
    confirm: str = Field(max_length=63, description="The tenant's slug, to confirm")
