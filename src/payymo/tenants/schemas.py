"""Account API models: the tenant's profile and settings (matching rules included)."""

from __future__ import annotations

import re
import uuid
from datetime import datetime

from pydantic import Field, field_validator

from payymo.api.schemas import ApiModel, any_fields, every_field_required
from payymo.money import MoneyError, parse_amount, parse_currency
from payymo.tenants.models import TenantStatus


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
    reference_patterns: list[str] = Field(
        default_factory=list,
        max_length=20,
        description="Extra regular expressions; group 1 is the invoice number",
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

    @field_validator("reference_patterns")
    @classmethod
    def _patterns(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            if len(pattern) > 200:
                raise ValueError("a pattern has at most 200 characters")
            try:
                compiled = re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"{pattern!r} is not a regular expression: {exc}") from None
            if compiled.groups < 1:
                raise ValueError(f"{pattern!r} needs a group capturing the invoice number")
        return patterns


class TenantSettingsModel(ApiModel):
    require_mfa_for_admins: bool = Field(
        default=False, description="Owners and admins must use MFA to sign in"
    )
    matching: MatchingRules = Field(default_factory=MatchingRules)


# PUT replaces the settings as a whole, so it needs every field; PATCH changes the fields it
# names. Both end validated by TenantSettingsModel itself.
TenantSettingsIn = every_field_required(TenantSettingsModel, "In")
TenantSettingsPatch = any_fields(TenantSettingsModel, "Patch")


class DeleteTenantIn(ApiModel):
    confirm: str = Field(max_length=63, description="The tenant's slug, to confirm")
