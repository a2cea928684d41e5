"""Receiving a webhook: find the tenant by the URL's key, verify the delivery, store each event
once, and have the new ones processed once that is committed.

The answer comes before any processing, so providers get their 2xx quickly; a repeated
delivery is answered 200 like the first and stores nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.orm import Session

from payymo.crypto import SecretBoxError
from payymo.db import set_tenant
from payymo.errors import NotFound, ServiceUnavailable
from payymo.http import AppServices
from payymo.invoicing.models import ConnectionStatus
from payymo.logs import bind_context, get_logger
from payymo.payments.connections import find_connection as stripe_row
from payymo.webhooks import repository
from payymo.webhooks.inbound import (
    InvalidSignature,
    ReceivedEvent,
    gocardless_events,
    stripe_events,
    whmcs_events,
)
from payymo.webhooks.models import InboundProvider
from payymo.webhooks.tasks import PROCESS
from payymo.worker.enqueue import after_commit

log = get_logger(__name__)
MAX_KEY_LENGTH = 64  # inbound_webhooks.url_key


@dataclass(frozen=True)
class Receipt:
    tenant_id: uuid.UUID
    received: int  # events in the delivery
    stored: int  # of them new; the rest were delivered before


def receive(
    app: AppServices,
    *,
    provider: InboundProvider,
    url_key: str,
    body: bytes,
    headers: Mapping[str, str],
) -> Receipt:
    """Verify a delivery and store its new events; they are processed after the commit."""
    tenant_id, secret = _endpoint(app, provider, url_key)
    bind_context(tenant_id=str(tenant_id))
    try:
        events = _verified(app, provider, body, headers, secret)
    except InvalidSignature as exc:
        log.warning("webhook_rejected", provider=provider.value, reason=exc.detail)
        raise
    with app.db.unit_of_work(tenant_id) as session:
        stored: list[uuid.UUID] = []
        for event in events:
            event_id = repository.add_event(
                session, tenant_id=tenant_id, provider=provider, event=event
            )
            if event_id is not None:
                stored.append(event_id)
        if stored:
            # Only after the savepoints above: releasing one also fires `after_commit`.
            after_commit(session, PROCESS, tenant_id, stored)
    log.info("webhook_received", provider=provider.value, events=len(events), stored=len(stored))
    return Receipt(tenant_id, len(events), len(stored))


def _endpoint(
    app: AppServices, provider: InboundProvider, url_key: str
) -> tuple[uuid.UUID, str | None]:
    """The tenant behind the key and the secret its deliveries are signed with; 404 if none."""
    if not url_key or len(url_key) > MAX_KEY_LENGTH:
        raise NotFound(detail="no such webhook")
    with app.db.unit_of_work() as session:
        tenant_id = repository.tenant_for_key(session, url_key)
        if tenant_id is None:
            raise NotFound(detail="no such webhook")
        set_tenant(session, tenant_id)
        webhook = repository.by_key(session, tenant_id, url_key)
        if webhook is None or webhook.provider is not provider:
            raise NotFound(detail="no such webhook")
        if provider is InboundProvider.STRIPE:
            encrypted = _stripe_secret(session, tenant_id)
        else:
            encrypted = webhook.secret_encrypted
    try:
        return tenant_id, app.box.decrypt(encrypted) if encrypted else None
    except SecretBoxError:
        log.error("webhook_secret_unreadable", provider=provider.value)
        raise ServiceUnavailable(detail="the signing secret cannot be read; try later") from None


def _stripe_secret(session: Session, tenant_id: uuid.UUID) -> str | None:
    """Stripe signs with the endpoint's secret, given when Stripe was connected."""
    connection = stripe_row(session, tenant_id)
    if connection is None or connection.status is ConnectionStatus.DISCONNECTED:
        return None
    return connection.webhook_secret_encrypted


def _verified(
    app: AppServices,
    provider: InboundProvider,
    body: bytes,
    headers: Mapping[str, str],
    secret: str | None,
) -> list[ReceivedEvent]:
    now = app.clock.now()
    if provider is InboundProvider.STRIPE:
        return stripe_events(body, headers, secret=secret, now=now)
    if provider is InboundProvider.GOCARDLESS:
        return gocardless_events(body, headers, secret=secret)
    return whmcs_events(body, headers, secret=secret, now=now)
