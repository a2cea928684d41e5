"""Outbound webhooks and notifications API: where a tenant's events go, and the delivery log."""

from __future__ import annotations

import uuid

from flask import Blueprint

from payymo.api.context import Ctx
from payymo.api.registry import Limit, endpoint
from payymo.auth.principal import Permission
from payymo.events import ping, services
from payymo.events import tasks as _tasks  # noqa: F401 - registers dispatch for in-process runs
from payymo.events.schemas import (
    DeliveryOut,
    DeliveryPage,
    DeliveryQuery,
    NotificationChannelIn,
    NotificationChannelList,
    NotificationChannelOut,
    NotificationChannelPatch,
    WebhookEndpointIn,
    WebhookEndpointList,
    WebhookEndpointOut,
    WebhookEndpointPatch,
    WebhookEndpointSecretOut,
)

webhook_endpoints_bp = Blueprint(
    "webhook_endpoints", __name__, url_prefix="/api/v1/webhook-endpoints"
)
notification_channels_bp = Blueprint(
    "notification_channels", __name__, url_prefix="/api/v1/notification-channels"
)
SIGNING = (
    "Each POST is signed: `Payymo-Signature: v1=<hex HMAC-SHA256(secret, "
    '"{Payymo-Timestamp}.{body}")>`; see docs/webhooks.md.'
)


def _with_secret(created: services.EndpointWithSecret) -> WebhookEndpointSecretOut:
    shown = WebhookEndpointOut.model_validate(created.endpoint)
    return WebhookEndpointSecretOut(**shown.model_dump(), secret=created.secret)


def _channel_out(shown: services.ShownChannel) -> NotificationChannelOut:
    c = shown.channel
    return NotificationChannelOut.model_validate(
        {
            "id": c.id,
            "channel": c.channel.value,
            "target": shown.target,
            "events": c.events,
            "is_active": c.is_active,
            "created_at": c.created_at,
            "updated_at": c.updated_at,
        }
    )


@endpoint(
    webhook_endpoints_bp,
    "GET",
    "",
    summary="List webhook endpoints",
    permission=Permission.READ,
    response=WebhookEndpointList,
)
def list_webhook_endpoints(ctx: Ctx) -> WebhookEndpointList:
    found = services.list_endpoints(ctx.services, tenant_id=ctx.caller.tenant_id)
    return WebhookEndpointList(data=[WebhookEndpointOut.model_validate(e) for e in found])


@endpoint(
    webhook_endpoints_bp,
    "POST",
    "",
    summary="Add a webhook endpoint (its signing secret is shown once)",
    permission=Permission.ADMIN,
    body=WebhookEndpointIn,
    response=WebhookEndpointSecretOut,
    status=201,
    description=SIGNING,
)
def create_webhook_endpoint(ctx: Ctx, body: WebhookEndpointIn) -> WebhookEndpointSecretOut:
    created = services.create_endpoint(
        ctx.services,
        tenant_id=ctx.caller.tenant_id,
        actor=ctx.caller.actor,
        url=body.url,
        events=body.events,
        description=body.description,
        is_active=body.is_active,
    )
    return _with_secret(created)


@endpoint(
    webhook_endpoints_bp,
    "GET",
    "/<uuid:endpoint_id>",
    summary="One webhook endpoint",
    permission=Permission.READ,
    response=WebhookEndpointOut,
    resource="webhook_endpoint",
)
def get_webhook_endpoint(ctx: Ctx, endpoint_id: uuid.UUID) -> WebhookEndpointOut:
    found = services.get_endpoint(
        ctx.services, tenant_id=ctx.caller.tenant_id, endpoint_id=endpoint_id
    )
    return WebhookEndpointOut.model_validate(found)


@endpoint(
    webhook_endpoints_bp,
    "PATCH",
    "/<uuid:endpoint_id>",
    summary="Change a webhook endpoint's URL, events, description or state",
    permission=Permission.ADMIN,
    body=WebhookEndpointPatch,
    response=WebhookEndpointOut,
    resource="webhook_endpoint",
)
def update_webhook_endpoint(
    ctx: Ctx, endpoint_id: uuid.UUID, body: WebhookEndpointPatch
) -> WebhookEndpointOut:
    changed = services.update_endpoint(
        ctx.services,
        tenant_id=ctx.caller.tenant_id,
        actor=ctx.caller.actor,
        endpoint_id=endpoint_id,
        url=body.url,
        events=body.events,
        description=body.description,
        is_active=body.is_active,
    )
    return WebhookEndpointOut.model_validate(changed)


@endpoint(
    webhook_endpoints_bp,
    "DELETE",
    "/<uuid:endpoint_id>",
    summary="Remove a webhook endpoint and its delivery log",
    permission=Permission.ADMIN,
    status=204,
    resource="webhook_endpoint",
)
def delete_webhook_endpoint(ctx: Ctx, endpoint_id: uuid.UUID) -> None:
    services.delete_endpoint(
        ctx.services,
        tenant_id=ctx.caller.tenant_id,
        actor=ctx.caller.actor,
        endpoint_id=endpoint_id,
    )


@endpoint(
    webhook_endpoints_bp,
    "POST",
    "/<uuid:endpoint_id>/rotate-secret",
    summary="Replace the signing secret (the new one is shown once)",
    permission=Permission.ADMIN,
    response=WebhookEndpointSecretOut,
    resource="webhook_endpoint",
    description="The old secret stops signing at once.",
)
def rotate_webhook_secret(ctx: Ctx, endpoint_id: uuid.UUID) -> WebhookEndpointSecretOut:
    rotated = services.rotate_secret(
        ctx.services,
        tenant_id=ctx.caller.tenant_id,
        actor=ctx.caller.actor,
        endpoint_id=endpoint_id,
    )
    return _with_secret(rotated)


@endpoint(
    webhook_endpoints_bp,
    "POST",
    "/<uuid:endpoint_id>/test",
    summary="Send the endpoint a signed test event now",
    permission=Permission.ADMIN,
    response=DeliveryOut,
    resource="webhook_endpoint",
    limit=Limit.CONNECTIONS,
    description="A `ping` event, signed like every event, sent at once to this endpoint only "
    "(active or not) and logged with its deliveries. The answer is the delivery: `delivered` "
    "with the endpoint's HTTP status, or `dead` with the error; a failed test is not retried.",
)
def send_test_event(ctx: Ctx, endpoint_id: uuid.UUID) -> DeliveryOut:
    sent = ping.send_ping(
        ctx.services,
        tenant_id=ctx.caller.tenant_id,
        actor=ctx.caller.actor,
        endpoint_id=endpoint_id,
    )
    return DeliveryOut.model_validate(sent)


@endpoint(
    webhook_endpoints_bp,
    "GET",
    "/<uuid:endpoint_id>/deliveries",
    summary="The endpoint's delivery log, newest first",
    permission=Permission.READ,
    query=DeliveryQuery,
    response=DeliveryPage,
    resource="webhook_endpoint",
)
def list_webhook_deliveries(ctx: Ctx, endpoint_id: uuid.UUID, query: DeliveryQuery) -> DeliveryPage:
    rows, cursor = services.list_deliveries(
        ctx.services, tenant_id=ctx.caller.tenant_id, endpoint_id=endpoint_id, query=query
    )
    return DeliveryPage(data=[DeliveryOut.model_validate(r) for r in rows], next_cursor=cursor)


@endpoint(
    notification_channels_bp,
    "GET",
    "",
    summary="List notification channels (email and Slack)",
    permission=Permission.READ,
    response=NotificationChannelList,
)
def list_notification_channels(ctx: Ctx) -> NotificationChannelList:
    found = services.list_channels(ctx.services, tenant_id=ctx.caller.tenant_id)
    return NotificationChannelList(data=[_channel_out(c) for c in found])


@endpoint(
    notification_channels_bp,
    "POST",
    "",
    summary="Add an email address or a Slack-compatible webhook for notifications",
    permission=Permission.ADMIN,
    body=NotificationChannelIn,
    response=NotificationChannelOut,
    status=201,
)
def create_notification_channel(ctx: Ctx, body: NotificationChannelIn) -> NotificationChannelOut:
    created = services.create_channel(
        ctx.services,
        tenant_id=ctx.caller.tenant_id,
        actor=ctx.caller.actor,
        kind=body.channel,
        target=body.target,
        events=body.events,
        is_active=body.is_active,
    )
    return _channel_out(created)


@endpoint(
    notification_channels_bp,
    "PATCH",
    "/<uuid:channel_id>",
    summary="Change a notification channel's target, events or state",
    permission=Permission.ADMIN,
    body=NotificationChannelPatch,
    response=NotificationChannelOut,
    resource="notification_channel",
)
def update_notification_channel(
    ctx: Ctx, channel_id: uuid.UUID, body: NotificationChannelPatch
) -> NotificationChannelOut:
    changed = services.update_channel(
        ctx.services,
        tenant_id=ctx.caller.tenant_id,
        actor=ctx.caller.actor,
        channel_id=channel_id,
        target=body.target,
        events=body.events,
        is_active=body.is_active,
    )
    return _channel_out(changed)


@endpoint(
    notification_channels_bp,
    "DELETE",
    "/<uuid:channel_id>",
    summary="Remove a notification channel",
    permission=Permission.ADMIN,
    status=204,
    resource="notification_channel",
)
def delete_notification_channel(ctx: Ctx, channel_id: uuid.UUID) -> None:
    services.delete_channel(
        ctx.services,
        tenant_id=ctx.caller.tenant_id,
        actor=ctx.caller.actor,
        channel_id=channel_id,
    )
