"""Integration API models: connections to the bank, Stripe and WHMCS, and their syncs.

No response ever carries a credential: secrets go in, never out.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import Field

from payymo.api.schemas import ApiModel
from payymo.banking.models import RequisitionStatus
from payymo.banking.schemas import BankAccountOut
from payymo.invoicing.models import ConnectionStatus


class InstitutionOut(ApiModel):
    id: str
    name: str
    bic: str
    countries: list[str]
    transaction_total_days: int
    max_access_valid_for_days: int
    logo: str | None


class InstitutionList(ApiModel):
    data: list[InstitutionOut]


class InstitutionQuery(ApiModel):
    country: str = Field(min_length=2, max_length=2, description="ISO 3166 code, e.g. GB")


class BankConnectionIn(ApiModel):
    institution_id: str = Field(min_length=1, max_length=128)
    redirect_url: str = Field(
        min_length=1, max_length=1024, description="Where the bank sends the user back (?ref=)"
    )


class BankRenewIn(ApiModel):
    redirect_url: str = Field(min_length=1, max_length=1024)


class BankCallbackIn(ApiModel):
    reference: str = Field(min_length=1, max_length=256, description="The `ref` query parameter")


class BankConnectionOut(ApiModel):
    id: uuid.UUID
    provider: str
    institution_id: str
    institution_name: str
    status: ConnectionStatus
    requisition_status: RequisitionStatus
    link: str | None = Field(description="Send the user here to give consent")
    reference: str
    linked_at: datetime | None
    consent_expires_at: datetime | None
    last_error: str | None
    created_at: datetime


class BankConnectionList(ApiModel):
    data: list[BankConnectionOut]


class BankSyncOut(ApiModel):
    account_id: uuid.UUID
    added: int
    updated: int
    unchanged: int
    skipped_reason: str | None
    next_allowed_at: datetime | None
    date_from: date | None
    date_to: date | None


class WhmcsConnectIn(ApiModel):
    base_url: str = Field(min_length=1, max_length=500, examples=["https://billing.example.com"])
    identifier: str = Field(min_length=1, max_length=200)
    secret: str = Field(min_length=1, max_length=200)
    access_key: str | None = Field(default=None, max_length=200)


class WhmcsConnectionOut(ApiModel):
    id: uuid.UUID
    base_url: str
    status: ConnectionStatus
    has_access_key: bool
    last_verified_at: datetime | None
    last_synced_at: datetime | None
    last_error: str | None


class StripeConnectIn(ApiModel):
    api_key: str = Field(min_length=1, max_length=255, description="A restricted key (rk_…)")
    webhook_secret: str | None = Field(default=None, max_length=255)


class StripeConnectionOut(ApiModel):
    id: uuid.UUID
    account_id: str | None
    livemode: bool
    status: ConnectionStatus
    has_webhook_secret: bool
    last_verified_at: datetime | None
    last_synced_at: datetime | None
    last_error: str | None


class SyncSummaryOut(ApiModel):
    """What a sync did, by the counts its service reports."""

    job_id: uuid.UUID | None
    counts: dict[str, int]


class IntegrationStatusOut(ApiModel):
    whmcs: WhmcsConnectionOut | None
    stripe: StripeConnectionOut | None
    bank_connections: list[BankConnectionOut]
    bank_accounts: list[BankAccountOut]
