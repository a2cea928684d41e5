"""Dispatching a tenant's events: fan each new event out to the targets that want it, then send
every delivery that is due.

Safe to run twice at once, and no delivery is sent twice by two runs:
- events are fanned out under row locks (skipping rows another run holds), and a delivery
  exists once per event and target (a unique key);
- a delivery is claimed before it is sent: its `next_attempt_at` becomes a lease covering the
  batch, committed before anything is sent, so another run does not find it due. A message is
  sent only while its lease still has room for it; the rest of the batch is released. A run
  that crashes mid-batch leaves claims that expire and are retried (at least once: receivers
  deduplicate on the event id).

`match.needs_review` deliveries claimed together for one email or Slack channel go out as one
digest. A target that does not answer at all is not tried again in the same run: its other
messages fail with the same error. Failures are retried with backoff (`outcomes`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from payymo.crypto import SecretBoxError
from payymo.events import channels, messages, repository
from payymo.events.channels import Outcome, WebhookEvent
from payymo.events.delivery_models import (
    Channel,
    Delivery,
    DeliveryStatus,
    NotificationChannel,
    WebhookEndpoint,
)
from payymo.events.models import Event, EventType
from payymo.events.outcomes import DispatchRun, record
from payymo.http import AppServices

EVENTS_PER_PASS = 500
MAX_PASSES = 20
ROWS_PER_CLAIM = 1000
MESSAGES_PER_CLAIM = 50
MAX_CLAIMS = 20
LEASE_MARGIN = timedelta(seconds=60)
SMTP_TIMEOUT_SECONDS = 15


@dataclass(frozen=True)
class Target:
    channel: Channel
    id: uuid.UUID
    events: tuple[str, ...]  # empty: every type
    url: str  # a webhook endpoint's URL; empty for notification channels
    sealed: str  # encrypted: the endpoint's signing secret, or the channel's address or URL

    def wants(self, event_type: str) -> bool:
        return not self.events or event_type in self.events


@dataclass
class Message:
    """One send: a webhook POST, an email or a Slack post, for one or more deliveries."""

    target: Target
    deliveries: list[tuple[uuid.UUID, WebhookEvent]]


@dataclass(frozen=True)
class Claim:
    messages: list[Message]
    lease_until: datetime
    orphaned: int  # deliveries whose target is gone or inactive, now dead


def dispatch(app: AppServices, *, tenant_id: uuid.UUID) -> DispatchRun:
    """Fan the tenant's new events out to its targets, then send every delivery that is due."""
    run = DispatchRun()
    for _ in range(MAX_PASSES):
        fanned = _fan_out(app, tenant_id)
        run.events += fanned
        if fanned < EVENTS_PER_PASS:
            break
    for _ in range(MAX_CLAIMS):
        claim = _claim(app, tenant_id)
        run.dead += claim.orphaned
        if not claim.messages and not claim.orphaned:
            break
        _send(app, tenant_id, claim, run)
    return run


def _fan_out(app: AppServices, tenant_id: uuid.UUID) -> int:
    now = app.clock.now()
    with app.db.unit_of_work(tenant_id) as session:
        events = list(
            session.scalars(
                select(Event)
                .where(Event.tenant_id == tenant_id, Event.dispatched_at.is_(None))
                .order_by(Event.created_at, Event.id)
                .limit(EVENTS_PER_PASS)
                .with_for_update(skip_locked=True)
            )
        )
        if not events:
            return 0
        targets = _active_targets(session, tenant_id).values()
        rows = [
            {"tenant_id": tenant_id, "event_id": e.id, "channel": t.channel, "target_id": t.id}
            for e in events
            for t in targets
            if t.wants(e.type)
        ]
        if rows:
            repository.add_deliveries(session, rows)
        for event in events:
            event.dispatched_at = now
        return len(events)


def _active_targets(session: Session, tenant_id: uuid.UUID) -> dict[uuid.UUID, Target]:
    endpoints = session.scalars(
        select(WebhookEndpoint).where(
            WebhookEndpoint.tenant_id == tenant_id, WebhookEndpoint.is_active.is_(True)
        )
    )
    notified = session.scalars(
        select(NotificationChannel).where(
            NotificationChannel.tenant_id == tenant_id, NotificationChannel.is_active.is_(True)
        )
    )
    found = [
        Target(Channel.WEBHOOK, e.id, tuple(e.events), e.url, e.secret_encrypted) for e in endpoints
    ]
    found += [Target(c.channel, c.id, tuple(c.events), "", c.target_encrypted) for c in notified]
    return {t.id: t for t in found}


def _due(now: datetime) -> Any:
    return and_(
        Delivery.status.in_((DeliveryStatus.PENDING, DeliveryStatus.FAILED)),
        or_(Delivery.next_attempt_at.is_(None), Delivery.next_attempt_at <= now),
    )


def _claim(app: AppServices, tenant_id: uuid.UUID) -> Claim:
    """Lease the next batch of due deliveries to this run (committed before any is sent)."""
    now = app.clock.now()
    with app.db.unit_of_work(tenant_id) as session:
        rows = session.execute(
            select(Delivery, Event)
            .join(Event, Event.id == Delivery.event_id)
            .where(Delivery.tenant_id == tenant_id, _due(now))
            .order_by(Delivery.created_at, Delivery.id)
            .limit(ROWS_PER_CLAIM)
            .with_for_update(of=Delivery, skip_locked=True)
        ).all()
        planned, orphans = _plan(rows, _active_targets(session, tenant_id))
        planned = planned[:MESSAGES_PER_CLAIM]
        lease_until = now + LEASE_MARGIN + len(planned) * _message_budget(app)
        leased = {delivery_id for m in planned for delivery_id, _ in m.deliveries}
        for delivery, _event in rows:
            if delivery.id in leased:
                delivery.next_attempt_at = lease_until
        for delivery in orphans:
            delivery.status, delivery.next_attempt_at = DeliveryStatus.DEAD, None
            delivery.error = "not sent: the target was deleted or deactivated"
        return Claim(planned, lease_until, len(orphans))


def _plan(rows: Any, targets: dict[uuid.UUID, Target]) -> tuple[list[Message], list[Delivery]]:
    """Deliveries as messages, in order; needs_review ones per notification channel as one."""
    planned: list[Message] = []
    digests: dict[uuid.UUID, Message] = {}
    orphans: list[Delivery] = []
    for delivery, event in rows:
        target = targets.get(delivery.target_id)
        if target is None or target.channel is not delivery.channel:
            orphans.append(delivery)
            continue
        item = (delivery.id, _outbound(event))
        digest = (
            target.channel is not Channel.WEBHOOK and event.type == EventType.MATCH_NEEDS_REVIEW
        )
        if digest and target.id in digests:
            digests[target.id].deliveries.append(item)
            continue
        message = Message(target, [item])
        planned.append(message)
        if digest:
            digests[target.id] = message
    return planned, orphans


def _outbound(event: Event) -> WebhookEvent:
    return WebhookEvent(str(event.id), event.type, event.created_at, dict(event.payload))


def _message_budget(app: AppServices) -> timedelta:
    """How long one send may take: connect and answer, each within the timeout."""
    return timedelta(seconds=2 * max(app.settings.http_timeout_seconds, SMTP_TIMEOUT_SECONDS) + 5)


def _send(app: AppServices, tenant_id: uuid.UUID, claim: Claim, run: DispatchRun) -> None:
    silent: dict[uuid.UUID, Outcome] = {}  # targets that did not answer in this run
    budget = _message_budget(app)
    with channels.http_client(app.settings.http_timeout_seconds) as client:
        for index, message in enumerate(claim.messages):
            if app.clock.now() + budget > claim.lease_until:
                _release(app, tenant_id, claim.messages[index:])
                return
            outcome = silent.get(message.target.id) or _deliver(app, client, message)
            if outcome.unreachable:
                silent[message.target.id] = outcome
            ids = [delivery_id for delivery_id, _ in message.deliveries]
            record(
                app,
                tenant_id=tenant_id,
                channel=message.target.channel,
                target_id=message.target.id,
                delivery_ids=ids,
                outcome=outcome,
                run=run,
            )


def _deliver(app: AppServices, client: httpx.Client, message: Message) -> Outcome:
    target = message.target
    try:
        opened = app.box.decrypt(target.sealed)
    except SecretBoxError:
        return Outcome(False, error=channels.UNREADABLE_SECRET, unreachable=True)
    if target.channel is Channel.WEBHOOK:
        _, event = message.deliveries[0]
        return channels.post_webhook(
            client, url=target.url, secret=opened, event=event, now=app.clock.now()
        )
    text = _text(message)
    if target.channel is Channel.EMAIL:
        body = text.email_body(app.settings.public_url)
        return channels.send_email(app.mailer, to=opened, subject=text.subject, body=body)
    return channels.post_slack(client, url=opened, text=text.slack_text())


def _text(message: Message) -> messages.Message:
    events = [event for _, event in message.deliveries]
    if events[0].type == EventType.MATCH_NEEDS_REVIEW:
        return messages.digest([e.data for e in events])
    return messages.describe(events[0].type, events[0].data)


def _release(app: AppServices, tenant_id: uuid.UUID, unsent: list[Message]) -> None:
    """Give claims back that the lease has no room left for: due again at once."""
    ids = [delivery_id for m in unsent for delivery_id, _ in m.deliveries]
    with app.db.unit_of_work(tenant_id) as session:
        session.execute(
            update(Delivery)
            .where(Delivery.tenant_id == tenant_id, Delivery.id.in_(ids))
            .values(next_attempt_at=app.clock.now())
        )
