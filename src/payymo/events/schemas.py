"""API models of webhook endpoints, their delivery log, and notification channels.

Secrets go in, never out: an endpoint's signing secret is answered once (on create and on
rotation), and a Slack webhook URL only ever comes back masked.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import Field

from payymo.api.pagination import PageQuery
from payymo.api.schemas import ApiModel, Page
from payymo.events.delivery_models import DeliveryStatus
from payymo.events.models import EventType

MAX_URL = 2048
EVENTS_DESCRIPTION = "Event types to receive; empty means every type"
EventList = list[EventType]
NotificationKind = Literal["email", "slack"]


class WebhookEndpointIn(ApiModel):
    url: str = Field(
        min_length=1,
        max_length=MAX_URL,
        description="Where events are POSTed; https (http too outside production)",
        examples=["https://hooks.example.com/payymo"],
    )
    events: EventList = Field(default_factory=list, max_length=20, description=EVENTS_DESCRIPTION)
    description: str = Field(default="", max_length=200)
    is_active: bool = True


class WebhookEndpointPatch(ApiModel):
    url: str | None = Field(default=None, min_length=1, max_length=MAX_URL)
    events: EventList | None = Field(default=None, max_length=20, description=EVENTS_DESCRIPTION)
    description: str | None = Field(default=None, max_length=200)
    is_active: bool | None = None


class WebhookEndpointOut(ApiModel):
    id: uuid.UUID
    url: str
    events: EventList
    description: str
    is_active: bool
    created_at: datetime
    updated_at: datetime


class WebhookEndpointSecretOut(WebhookEndpointOut):
    secret: str = Field(
        description="The signing secret (whsec_...); shown only this once, store it now"
    )


class WebhookEndpointList(ApiModel):
    data: list[WebhookEndpointOut]


class DeliveryOut(ApiModel):
    id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    status: DeliveryStatus
    attempts: int
    response_status: int | None = Field(description="The endpoint's last HTTP status, if any")
    error: str | None
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    created_at: datetime
    updated_at: datetime


class DeliveryPage(Page[DeliveryOut]):
    pass


class DeliveryQuery(PageQuery):
    status: DeliveryStatus | None = None


class NotificationChannelIn(ApiModel):
    channel: NotificationKind
    target: str = Field(
        min_length=3,
        max_length=MAX_URL,
        description="An email address, or a Slack-compatible incoming webhook URL "
        "(write-only: answered masked)",
        examples=["payments@example.com"],
    )
    events: EventList = Field(default_factory=list, max_length=20, description=EVENTS_DESCRIPTION)
    is_active: bool = True


class NotificationChannelPatch(ApiModel):
    target: str | None = Field(default=None, min_length=3, max_length=MAX_URL)
    events: EventList | None = Field(default=None, max_length=20, description=EVENTS_DESCRIPTION)
    is_active: bool | None = None


class NotificationChannelOut(ApiModel):
    id: uuid.UUID
    channel: NotificationKind
    target: str = Field(description="The email address, or the Slack webhook URL masked")
    events: EventList
    is_active: bool
    created_at: datetime
    updated_at: datetime


class NotificationChannelList(ApiModel):
    data: list[NotificationChannelOut]
