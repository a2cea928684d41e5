"""Recording how a send went, and when a failed delivery is tried again.

A failure is retried after 30 s, doubling each time up to 1 h, with jitter (a random wait
between half and all of that), so receivers coming back up are not hit by every sender at
once. After MAX_ATTEMPTS failed attempts a delivery is dead. The log keeps the last answer's
HTTP status and error.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from payymo.events.channels import Outcome
from payymo.events.delivery_models import Channel, Delivery, DeliveryStatus
from payymo.http import AppServices
from payymo.logs import get_logger

log = get_logger(__name__)

MAX_ATTEMPTS = 8
FIRST_RETRY_SECONDS = 30
MAX_RETRY_SECONDS = 3600


@dataclass
class DispatchRun:
    events: int = 0
    delivered: int = 0
    failed: int = 0  # attempts that failed and will be retried
    dead: int = 0
    next_retry_at: datetime | None = None  # the earliest retry this run scheduled

    def as_dict(self) -> dict[str, Any]:
        retry = self.next_retry_at.isoformat() if self.next_retry_at else None
        return {
            "events": self.events,
            "delivered": self.delivered,
            "failed": self.failed,
            "dead": self.dead,
            "next_retry_at": retry,
        }


def retry_delay(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt."""
    ceiling = min(FIRST_RETRY_SECONDS * 2 ** min(attempts - 1, 20), MAX_RETRY_SECONDS)
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))  # noqa: S311 - jitter


def record(
    app: AppServices,
    *,
    tenant_id: uuid.UUID,
    channel: Channel,
    target_id: uuid.UUID,
    delivery_ids: list[uuid.UUID],
    outcome: Outcome,
    run: DispatchRun,
) -> None:
    """Write one send's outcome to each of its deliveries."""
    now = app.clock.now()
    with app.db.unit_of_work(tenant_id) as session:
        rows = session.scalars(
            select(Delivery)
            .where(Delivery.tenant_id == tenant_id, Delivery.id.in_(delivery_ids))
            .with_for_update()
        )
        for row in rows:
            if row.status is DeliveryStatus.DELIVERED:
                continue
            row.attempts += 1
            row.response_status, row.error = outcome.status, outcome.error
            _settle(row, outcome, now, run)
    # Ids and statuses only: never a URL, an address or a response body.
    log.info(
        "delivery_sent" if outcome.ok else "delivery_failed",
        channel=channel.value,
        target_id=str(target_id),
        deliveries=len(delivery_ids),
        response_status=outcome.status,
        unreachable=outcome.unreachable,
    )


def _settle(row: Delivery, outcome: Outcome, now: datetime, run: DispatchRun) -> None:
    if outcome.ok:
        row.status, row.delivered_at, row.next_attempt_at = DeliveryStatus.DELIVERED, now, None
        run.delivered += 1
    elif row.attempts >= MAX_ATTEMPTS:
        row.status, row.next_attempt_at = DeliveryStatus.DEAD, None
        run.dead += 1
    else:
        retry_at = now + retry_delay(row.attempts)
        row.status, row.next_attempt_at = DeliveryStatus.FAILED, retry_at
        run.failed += 1
        run.next_retry_at = min(run.next_retry_at or retry_at, retry_at)
