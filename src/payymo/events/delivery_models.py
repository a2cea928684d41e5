"""Where a tenant's events go (webhook endpoints, email and Slack) and each delivery's log."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from payymo.db import Base, TenantOwned, str_enum


class Channel(StrEnum):
    WEBHOOK = "webhook"
    EMAIL = "email"
    SLACK = "slack"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"  # will be retried at next_attempt_at
    DEAD = "dead"  # retries exhausted


class WebhookEndpoint(TenantOwned, Base):
    """A tenant's URL that receives signed event POSTs."""

    __tablename__ = "webhook_endpoints"
    __table_args__ = (Index(None, "tenant_id", "created_at"),)

    url: Mapped[str] = mapped_column(Text)
    secret_encrypted: Mapped[str] = mapped_column(Text)
    events: Mapped[list[Any]] = mapped_column(default=list)  # event types; empty: all
    description: Mapped[str] = mapped_column(String(200), default="")
    is_active: Mapped[bool] = mapped_column(default=True)


class NotificationChannel(TenantOwned, Base):
    """A tenant's notification target: an email address or a Slack-compatible webhook URL
    (encrypted: the URL is a credential), and which events it wants."""

    __tablename__ = "notification_channels"
    __table_args__ = (Index(None, "tenant_id", "created_at"),)

    channel: Mapped[Channel] = mapped_column(str_enum(Channel, "notification_channel"))
    target_encrypted: Mapped[str] = mapped_column(Text)
    events: Mapped[list[Any]] = mapped_column(default=list)  # event types; empty: all
    is_active: Mapped[bool] = mapped_column(default=True)


class Delivery(TenantOwned, Base):
    """One event to one target (webhook endpoint or notification channel), with its log."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("tenant_id", "event_id", "channel", "target_id"),
        Index(None, "tenant_id", "status", "next_attempt_at"),
    )

    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, "delivery_channel"))
    target_id: Mapped[uuid.UUID] = mapped_column()
    status: Mapped[DeliveryStatus] = mapped_column(
        str_enum(DeliveryStatus, "delivery_status"), default=DeliveryStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    response_status: Mapped[int | None] = mapped_column(default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)
