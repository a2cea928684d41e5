"""Inbound webhook API models: where each provider sends its events. Secrets go out once, on
creation or rotation, and never in a listing."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from payymo.api.schemas import ApiModel
from payymo.webhooks.models import InboundProvider


class InboundWebhookOut(ApiModel):
    provider: InboundProvider
    url: str | None = Field(description="Give this URL to the provider; null until created")
    signing_secret_set: bool = Field(
        description="Whether deliveries can be verified. Stripe's secret is the connection's "
        "`webhook_secret` (PUT /api/v1/integrations/stripe)"
    )
    rotated_at: datetime | None = Field(description="When the URL was created or last rotated")


class InboundWebhookList(ApiModel):
    data: list[InboundWebhookOut]


class InboundWebhookCreated(InboundWebhookOut):
    secret: str | None = Field(
        description="The signing secret, shown this once (GoCardless and WHMCS); null for "
        "Stripe, which makes its own"
    )
