"""Managing a tenant's inbound webhooks: the URL each provider posts to, and its secret."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from payymo.audit.services import Actor, record
from payymo.errors import Conflict
from payymo.http import AppServices
from payymo.invoicing.models import ConnectionStatus
from payymo.payments.connections import find_connection as stripe_row
from payymo.payments.models import StripeConnection
from payymo.webhooks import repository
from payymo.webhooks.models import InboundProvider, InboundWebhook


@dataclass(frozen=True)
class InboundWebhookView:
    provider: InboundProvider
    url: str | None
    signing_secret_set: bool
    rotated_at: datetime | None
    secret: str | None = None  # only right after it was made


def list_inbound_webhooks(app: AppServices, *, tenant_id: uuid.UUID) -> list[InboundWebhookView]:
    """Each provider's webhook URL (null until created), without secrets."""
    with app.db.unit_of_work(tenant_id) as session:
        found = {w.provider: w for w in repository.all_for_tenant(session, tenant_id)}
        stripe = stripe_row(session, tenant_id)
    return [_view(app, provider, found.get(provider), stripe) for provider in InboundProvider]


def rotate_inbound_webhook(
    app: AppServices, *, tenant_id: uuid.UUID, actor: Actor, provider: InboundProvider
) -> InboundWebhookView:
    """A new URL for `provider` (the old one stops working) and, for GoCardless and WHMCS, a
    new signing secret, returned this once."""
    url_key = secrets.token_urlsafe(24)
    secret = None if provider is InboundProvider.STRIPE else secrets.token_urlsafe(32)
    try:
        with app.db.unit_of_work(tenant_id) as session:
            webhook = repository.for_provider(session, tenant_id, provider, lock=True)
            action = "inbound_webhook.rotated" if webhook else "inbound_webhook.created"
            if webhook is None:
                webhook = InboundWebhook(tenant_id=tenant_id, provider=provider)
                session.add(webhook)
            webhook.url_key = url_key
            webhook.secret_encrypted = app.box.encrypt(secret) if secret else None
            session.flush()
            record(
                session,
                tenant_id=tenant_id,
                actor=actor,
                action=action,
                object_type="inbound_webhook",
                object_id=webhook.id,
                after={"provider": provider.value},
            )
            view = _view(app, provider, webhook, stripe_row(session, tenant_id))
    except IntegrityError:  # a concurrent first creation inserted the row first
        raise Conflict(detail="the webhook changed meanwhile; try again") from None
    return replace(view, secret=secret)


def webhook_url(app: AppServices, provider: InboundProvider, url_key: str) -> str:
    return f"{app.settings.public_url.rstrip('/')}/webhooks/{provider.value}/{url_key}"


def _view(
    app: AppServices,
    provider: InboundProvider,
    webhook: InboundWebhook | None,
    stripe: StripeConnection | None,
) -> InboundWebhookView:
    if webhook is None:
        return InboundWebhookView(provider, None, False, None)
    if provider is InboundProvider.STRIPE:
        has_secret = bool(
            stripe
            and stripe.status is not ConnectionStatus.DISCONNECTED
            and stripe.webhook_secret_encrypted
        )
    else:
        has_secret = webhook.secret_encrypted is not None
    return InboundWebhookView(
        provider, webhook_url(app, provider, webhook.url_key), has_secret, webhook.updated_at
    )
