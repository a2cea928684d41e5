"""Queries of inbound webhooks and their stored events."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from payymo.db import is_postgresql
from payymo.tenants.models import Tenant
from payymo.webhooks.inbound import ReceivedEvent
from payymo.webhooks.models import InboundProvider, InboundWebhook, WebhookEvent


def tenant_for_key(session: Session, url_key: str) -> uuid.UUID | None:
    """The live tenant a webhook URL key belongs to, found before any tenant is in scope.

    On PostgreSQL row-level security hides every tenant's rows, so the SECURITY DEFINER
    function `payymo_inbound_webhook` (migration 0007) resolves the key to the id alone.
    """
    if is_postgresql(session):
        found = session.scalar(text("SELECT payymo_inbound_webhook(:key)"), {"key": url_key})
        return uuid.UUID(str(found)) if found is not None else None
    return session.scalar(
        select(InboundWebhook.tenant_id)
        .join(Tenant, Tenant.id == InboundWebhook.tenant_id)
        .where(InboundWebhook.url_key == url_key, Tenant.deleted_at.is_(None))
    )


def by_key(session: Session, tenant_id: uuid.UUID, url_key: str) -> InboundWebhook | None:
    return session.scalars(
        select(InboundWebhook).where(
            InboundWebhook.tenant_id == tenant_id, InboundWebhook.url_key == url_key
        )
    ).one_or_none()


def for_provider(
    session: Session, tenant_id: uuid.UUID, provider: InboundProvider, *, lock: bool = False
) -> InboundWebhook | None:
    query = select(InboundWebhook).where(
        InboundWebhook.tenant_id == tenant_id, InboundWebhook.provider == provider
    )
    return session.scalars(query.with_for_update() if lock else query).one_or_none()


def all_for_tenant(session: Session, tenant_id: uuid.UUID) -> list[InboundWebhook]:
    return list(
        session.scalars(select(InboundWebhook).where(InboundWebhook.tenant_id == tenant_id))
    )


def add_event(
    session: Session, *, tenant_id: uuid.UUID, provider: InboundProvider, event: ReceivedEvent
) -> uuid.UUID | None:
    """Store the event unless the provider's id is stored already; the new row's id, or None."""
    existing = session.scalar(
        select(WebhookEvent.id).where(
            WebhookEvent.tenant_id == tenant_id,
            WebhookEvent.provider == provider.value,
            WebhookEvent.event_id == event.event_id,
        )
    )
    if existing is not None:
        return None
    row = WebhookEvent(
        tenant_id=tenant_id,
        provider=provider.value,
        event_id=event.event_id,
        event_type=event.event_type,
        payload=event.payload,
    )
    nested = session.begin_nested()  # a concurrent delivery of the same event wins: not an error
    try:
        session.add(row)
        session.flush()
        nested.commit()
    except IntegrityError:
        nested.rollback()
        return None
    return row.id


def events_to_process(
    session: Session, tenant_id: uuid.UUID, event_ids: Sequence[uuid.UUID]
) -> list[WebhookEvent]:
    """The events, locked until commit so a redelivered task waits and then skips them."""
    return list(
        session.scalars(
            select(WebhookEvent)
            .where(WebhookEvent.tenant_id == tenant_id, WebhookEvent.id.in_(event_ids))
            .order_by(WebhookEvent.received_at, WebhookEvent.id)
            .with_for_update()
        )
    )
