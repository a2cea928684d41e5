"""Webhook endpoints and notification channels: a tenant's choice of where events go.

Every change is audited without its secrets: no signing secret, no Slack URL, not even part.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from payymo.audit.services import Actor, record
from payymo.errors import NotFound
from payymo.events import repository
from payymo.events.delivery_models import Channel, NotificationChannel, WebhookEndpoint
from payymo.events.models import EventType
from payymo.events.schemas import DeliveryQuery, NotificationKind
from payymo.events.signing import new_secret
from payymo.events.targets import checked_email, checked_url, event_names, masked_url
from payymo.http import AppServices


@dataclass(frozen=True)
class EndpointWithSecret:
    endpoint: WebhookEndpoint
    secret: str


@dataclass(frozen=True)
class ShownChannel:
    """A notification channel with its target as the API may show it."""

    channel: NotificationChannel
    target: str


def create_endpoint(
    app: AppServices,
    *,
    tenant_id: uuid.UUID,
    actor: Actor,
    url: str,
    events: list[EventType],
    description: str,
    is_active: bool,
) -> EndpointWithSecret:
    """Add an endpoint with a new signing secret, returned here and never again."""
    url = checked_url(url, strict=app.settings.is_strict, field="url")
    secret = new_secret()
    with app.db.unit_of_work(tenant_id) as session:
        endpoint = WebhookEndpoint(
            tenant_id=tenant_id,
            url=url,
            secret_encrypted=app.box.encrypt(secret),
            events=event_names(events),
            description=description.strip(),
            is_active=is_active,
        )
        session.add(endpoint)
        session.flush()
        _audit_endpoint(session, actor, endpoint, "created")
        return EndpointWithSecret(endpoint, secret)


def list_endpoints(app: AppServices, *, tenant_id: uuid.UUID) -> list[WebhookEndpoint]:
    """The tenant's endpoints, oldest first."""
    with app.db.unit_of_work(tenant_id) as session:
        return repository.endpoints(session, tenant_id)


def get_endpoint(
    app: AppServices, *, tenant_id: uuid.UUID, endpoint_id: uuid.UUID
) -> WebhookEndpoint:
    """One of the tenant's endpoints, or NotFound."""
    with app.db.unit_of_work(tenant_id) as session:
        return owned_endpoint(session, tenant_id, endpoint_id)


def update_endpoint(
    app: AppServices,
    *,
    tenant_id: uuid.UUID,
    actor: Actor,
    endpoint_id: uuid.UUID,
    url: str | None = None,
    events: list[EventType] | None = None,
    description: str | None = None,
    is_active: bool | None = None,
) -> WebhookEndpoint:
    """Change the fields given; None leaves a field as it is."""
    if url is not None:
        url = checked_url(url, strict=app.settings.is_strict, field="url")
    with app.db.unit_of_work(tenant_id) as session:
        endpoint = owned_endpoint(session, tenant_id, endpoint_id, lock=True)
        if url is not None:
            endpoint.url = url
        if events is not None:
            endpoint.events = event_names(events)
        if description is not None:
            endpoint.description = description.strip()
        if is_active is not None:
            endpoint.is_active = is_active
        session.flush()
        _audit_endpoint(session, actor, endpoint, "updated")
        return endpoint


def rotate_secret(
    app: AppServices, *, tenant_id: uuid.UUID, actor: Actor, endpoint_id: uuid.UUID
) -> EndpointWithSecret:
    """Replace the signing secret at once; the new one is returned here and never again."""
    secret = new_secret()
    with app.db.unit_of_work(tenant_id) as session:
        endpoint = owned_endpoint(session, tenant_id, endpoint_id, lock=True)
        endpoint.secret_encrypted = app.box.encrypt(secret)
        session.flush()
        _audit_endpoint(session, actor, endpoint, "secret_rotated")
        return EndpointWithSecret(endpoint, secret)


def delete_endpoint(
    app: AppServices, *, tenant_id: uuid.UUID, actor: Actor, endpoint_id: uuid.UUID
) -> None:
    """Remove the endpoint and its delivery log; nothing more is sent to it."""
    with app.db.unit_of_work(tenant_id) as session:
        endpoint = owned_endpoint(session, tenant_id, endpoint_id, lock=True)
        _audit_endpoint(session, actor, endpoint, "deleted")
        repository.delete_deliveries(session, tenant_id, Channel.WEBHOOK, endpoint.id)
        session.delete(endpoint)


def list_deliveries(
    app: AppServices, *, tenant_id: uuid.UUID, endpoint_id: uuid.UUID, query: DeliveryQuery
) -> tuple[list[Any], str | None]:
    """A page of the endpoint's delivery log, newest first."""
    with app.db.unit_of_work(tenant_id) as session:
        owned_endpoint(session, tenant_id, endpoint_id)
        return repository.delivery_page(session, tenant_id, endpoint_id, query)


def create_channel(
    app: AppServices,
    *,
    tenant_id: uuid.UUID,
    actor: Actor,
    kind: NotificationKind,
    target: str,
    events: list[EventType],
    is_active: bool,
) -> ShownChannel:
    """Add an email address or a Slack-compatible webhook that gets the chosen events."""
    channel_type = Channel(kind)
    target = _checked_target(app, channel_type, target)
    with app.db.unit_of_work(tenant_id) as session:
        channel = NotificationChannel(
            tenant_id=tenant_id,
            channel=channel_type,
            target_encrypted=app.box.encrypt(target),
            events=event_names(events),
            is_active=is_active,
        )
        session.add(channel)
        session.flush()
        shown = _shown(channel, target)
        _audit_channel(session, actor, shown, "created")
        return shown


def list_channels(app: AppServices, *, tenant_id: uuid.UUID) -> list[ShownChannel]:
    """The tenant's notification channels, oldest first, Slack URLs masked."""
    with app.db.unit_of_work(tenant_id) as session:
        found = repository.channels(session, tenant_id)
    return [_shown(c, app.box.decrypt(c.target_encrypted)) for c in found]


def update_channel(
    app: AppServices,
    *,
    tenant_id: uuid.UUID,
    actor: Actor,
    channel_id: uuid.UUID,
    target: str | None = None,
    events: list[EventType] | None = None,
    is_active: bool | None = None,
) -> ShownChannel:
    """Change the fields given; None leaves a field as it is."""
    with app.db.unit_of_work(tenant_id) as session:
        channel = _channel(session, tenant_id, channel_id, lock=True)
        if target is not None:
            channel.target_encrypted = app.box.encrypt(
                _checked_target(app, channel.channel, target)
            )
        if events is not None:
            channel.events = event_names(events)
        if is_active is not None:
            channel.is_active = is_active
        session.flush()
        shown = _shown(channel, app.box.decrypt(channel.target_encrypted))
        _audit_channel(session, actor, shown, "updated")
        return shown


def delete_channel(
    app: AppServices, *, tenant_id: uuid.UUID, actor: Actor, channel_id: uuid.UUID
) -> None:
    """Remove the channel and its deliveries; nothing more is sent to it."""
    with app.db.unit_of_work(tenant_id) as session:
        channel = _channel(session, tenant_id, channel_id, lock=True)
        _audit_channel(session, actor, _shown(channel, ""), "deleted")
        repository.delete_deliveries(session, tenant_id, channel.channel, channel.id)
        session.delete(channel)


def owned_endpoint(
    session: Session, tenant_id: uuid.UUID, endpoint_id: uuid.UUID, *, lock: bool = False
) -> WebhookEndpoint:
    """The tenant's endpoint, in `session`, or NotFound."""
    found = repository.endpoint(session, tenant_id, endpoint_id, lock=lock)
    if found is None:
        raise NotFound(detail="no such webhook endpoint")
    return found


def _channel(
    session: Session, tenant_id: uuid.UUID, channel_id: uuid.UUID, *, lock: bool = False
) -> NotificationChannel:
    found = repository.channel(session, tenant_id, channel_id, lock=lock)
    if found is None:
        raise NotFound(detail="no such notification channel")
    return found


def _checked_target(app: AppServices, channel: Channel, raw: str) -> str:
    if channel is Channel.EMAIL:
        return checked_email(raw, field="target")
    return checked_url(raw, strict=app.settings.is_strict, field="target")


def _shown(channel: NotificationChannel, target: str) -> ShownChannel:
    return ShownChannel(channel, target if channel.channel is Channel.EMAIL else masked_url(target))


def _audit_endpoint(session: Session, actor: Actor, endpoint: WebhookEndpoint, what: str) -> None:
    record(
        session,
        tenant_id=endpoint.tenant_id,
        actor=actor,
        action=f"webhook_endpoint.{what}",
        object_type="webhook_endpoint",
        object_id=endpoint.id,
        after={"url": endpoint.url, "events": endpoint.events, "is_active": endpoint.is_active},
    )


def _audit_channel(session: Session, actor: Actor, shown: ShownChannel, what: str) -> None:
    channel = shown.channel
    record(
        session,
        tenant_id=channel.tenant_id,
        actor=actor,
        action=f"notification_channel.{what}",
        object_type="notification_channel",
        object_id=channel.id,
        after={
            "channel": channel.channel.value,
            "target": shown.target or None,
            "events": channel.events,
            "is_active": channel.is_active,
        },
    )
