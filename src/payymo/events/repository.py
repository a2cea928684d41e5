"""Queries over webhook endpoints, notification channels and deliveries, within one tenant."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from payymo.api.pagination import keyset_page, parse_datetime, parse_uuid
from payymo.db import is_postgresql
from payymo.events.delivery_models import Channel, Delivery, NotificationChannel, WebhookEndpoint
from payymo.events.models import Event
from payymo.events.schemas import DeliveryQuery


def endpoint(
    session: Session, tenant_id: uuid.UUID, endpoint_id: uuid.UUID, *, lock: bool = False
) -> WebhookEndpoint | None:
    query = select(WebhookEndpoint).where(
        WebhookEndpoint.tenant_id == tenant_id, WebhookEndpoint.id == endpoint_id
    )
    return session.scalars(query.with_for_update() if lock else query).one_or_none()


def endpoints(session: Session, tenant_id: uuid.UUID) -> list[WebhookEndpoint]:
    return list(
        session.scalars(
            select(WebhookEndpoint)
            .where(WebhookEndpoint.tenant_id == tenant_id)
            .order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
        )
    )


def channel(
    session: Session, tenant_id: uuid.UUID, channel_id: uuid.UUID, *, lock: bool = False
) -> NotificationChannel | None:
    query = select(NotificationChannel).where(
        NotificationChannel.tenant_id == tenant_id, NotificationChannel.id == channel_id
    )
    return session.scalars(query.with_for_update() if lock else query).one_or_none()


def channels(session: Session, tenant_id: uuid.UUID) -> list[NotificationChannel]:
    return list(
        session.scalars(
            select(NotificationChannel)
            .where(NotificationChannel.tenant_id == tenant_id)
            .order_by(NotificationChannel.created_at, NotificationChannel.id)
        )
    )


_LOG_COLUMNS: tuple[Any, ...] = (
    Delivery.id,
    Delivery.event_id,
    Event.type.label("event_type"),
    Delivery.status,
    Delivery.attempts,
    Delivery.response_status,
    Delivery.error,
    Delivery.next_attempt_at,
    Delivery.delivered_at,
    Delivery.created_at,
    Delivery.updated_at,
)


def delivery_page(
    session: Session, tenant_id: uuid.UUID, endpoint_id: uuid.UUID, query: DeliveryQuery
) -> tuple[list[Any], str | None]:
    """One endpoint's deliveries with their event types, newest first."""
    q = (
        select(*_LOG_COLUMNS)
        .join(Event, Event.id == Delivery.event_id)
        .where(
            Delivery.tenant_id == tenant_id,
            Delivery.channel == Channel.WEBHOOK,
            Delivery.target_id == endpoint_id,
        )
    )
    if query.status is not None:
        q = q.where(Delivery.status == query.status)
    return keyset_page(
        session,
        q,
        order=(Delivery.created_at, Delivery.id),
        parsers=(parse_datetime, parse_uuid),
        key=lambda row: (row.created_at, row.id),
        page=query,
    )


def delivery(session: Session, tenant_id: uuid.UUID, delivery_id: uuid.UUID) -> Any:
    """One delivery as the log shows it, with its event type."""
    return session.execute(
        select(*_LOG_COLUMNS)
        .join(Event, Event.id == Delivery.event_id)
        .where(Delivery.tenant_id == tenant_id, Delivery.id == delivery_id)
    ).one()


def add_deliveries(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert deliveries; one that exists already (same event, channel and target) is kept."""
    insert = postgresql.insert if is_postgresql(session) else sqlite.insert
    session.execute(insert(Delivery).on_conflict_do_nothing(), rows)


def delete_deliveries(
    session: Session, tenant_id: uuid.UUID, channel: Channel, target_id: uuid.UUID
) -> None:
    session.execute(
        delete(Delivery).where(
            Delivery.tenant_id == tenant_id,
            Delivery.channel == channel,
            Delivery.target_id == target_id,
        )
    )
