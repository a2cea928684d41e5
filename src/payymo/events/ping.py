"""A test event for one webhook endpoint, sent at once, so that its owner sees the receiver
get, verify and answer a signed event before a real one depends on it.

The ping is an event like any other in the delivery log, but it goes only to that endpoint
(active or not) and only once: it is written already dispatched, and a failed ping is dead,
not retried. Its type, `ping`, is not one an endpoint can subscribe to.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from payymo.audit.services import Actor, record
from payymo.crypto import SecretBoxError
from payymo.errors import NotFound
from payymo.events import channels, repository, services
from payymo.events.channels import Outcome, WebhookEvent
from payymo.events.delivery_models import Channel, Delivery, DeliveryStatus
from payymo.events.models import Event
from payymo.http import AppServices

PING = "ping"
MESSAGE = "A test event from Payymo. If you can verify its signature, your endpoint is ready."


def send_ping(
    app: AppServices, *, tenant_id: uuid.UUID, actor: Actor, endpoint_id: uuid.UUID
) -> Any:
    """Send a signed `ping` to the endpoint now; the delivery, as its log shows it."""
    now = app.clock.now()
    with app.db.unit_of_work(tenant_id) as session:
        endpoint = services.owned_endpoint(session, tenant_id, endpoint_id)
        payload = {"endpoint_id": str(endpoint.id), "message": MESSAGE}
        event = Event(
            tenant_id=tenant_id,
            type=PING,
            key=f"{PING}:{uuid.uuid4()}",
            payload=payload,
            dispatched_at=now,  # never fanned out to the tenant's other endpoints
        )
        session.add(event)
        session.flush()
        delivery = Delivery(
            tenant_id=tenant_id,
            event_id=event.id,
            channel=Channel.WEBHOOK,
            target_id=endpoint.id,
            status=DeliveryStatus.PENDING,
        )
        session.add(delivery)
        session.flush()
        record(
            session,
            tenant_id=tenant_id,
            actor=actor,
            action="webhook_endpoint.pinged",
            object_type="webhook_endpoint",
            object_id=endpoint.id,
        )
        url, sealed, delivery_id = endpoint.url, endpoint.secret_encrypted, delivery.id
        outbound = WebhookEvent(str(event.id), PING, now, payload)
    # Sent outside the transaction: no database connection waits on the receiver.
    outcome = _send(app, url, sealed, outbound)
    with app.db.unit_of_work(tenant_id) as session:
        row = session.scalars(
            select(Delivery)
            .where(Delivery.tenant_id == tenant_id, Delivery.id == delivery_id)
            .with_for_update()
        ).one_or_none()
        if row is None:  # removed with its endpoint meanwhile
            raise NotFound(detail="no such webhook endpoint")
        row.attempts = 1
        row.response_status, row.error = outcome.status, outcome.error
        if outcome.ok:
            row.status, row.delivered_at = DeliveryStatus.DELIVERED, app.clock.now()
        else:
            row.status = DeliveryStatus.DEAD
        session.flush()
        return repository.delivery(session, tenant_id, delivery_id)


def _send(app: AppServices, url: str, sealed: str, event: WebhookEvent) -> Outcome:
    try:
        secret = app.box.decrypt(sealed)
    except SecretBoxError:
        return Outcome(False, error=channels.UNREADABLE_SECRET)
    with channels.http_client(app.settings.http_timeout_seconds) as client:
        return channels.post_webhook(
            client, url=url, secret=secret, event=event, now=app.clock.now()
        )
