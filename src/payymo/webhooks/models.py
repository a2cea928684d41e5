"""Inbound webhook events, stored once per provider event id before any processing."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from payymo.db import Base, TenantOwned, str_enum, utcnow


class WebhookEventStatus(StrEnum):
    RECEIVED = "received"
    PROCESSED = "processed"
    FAILED = "failed"
    IGNORED = "ignored"


class WebhookEvent(TenantOwned, Base):
    __tablename__ = "webhook_events"
    __table_args__ = (
        UniqueConstraint("tenant_id", "provider", "event_id"),
        Index(None, "tenant_id", "status", "received_at"),
    )

    provider: Mapped[str] = mapped_column(String(32))
    event_id: Mapped[str] = mapped_column(String(128))
    event_type: Mapped[str] = mapped_column(String(128))
    payload: Mapped[dict[str, Any]] = mapped_column()
    status: Mapped[WebhookEventStatus] = mapped_column(
        str_enum(WebhookEventStatus, "webhook_event_status"), default=WebhookEventStatus.RECEIVED
    )
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)


class InboundProvider(StrEnum):
    STRIPE = "stripe"
    GOCARDLESS = "gocardless"
    WHMCS = "whmcs"


class InboundWebhook(TenantOwned, Base):
    """Where a provider sends a tenant's events: `/webhooks/<provider>/<url_key>`.

    The key only routes (it is not a credential); every request is verified by its signature.
    `secret_encrypted` holds the signing secret for GoCardless and WHMCS; Stripe's is the
    connection's webhook secret.
    """

    __tablename__ = "inbound_webhooks"
    __table_args__ = (UniqueConstraint("tenant_id", "provider"), UniqueConstraint("url_key"))

    provider: Mapped[InboundProvider] = mapped_column(str_enum(InboundProvider, "inbound_provider"))
    url_key: Mapped[str] = mapped_column(String(64))
    secret_encrypted: Mapped[str | None] = mapped_column(Text, default=None)
