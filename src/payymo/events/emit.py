"""Recording an event in the caller's transaction, at most once per key.

The tenant's undispatched events are sent (to its webhook endpoints and notification channels)
by the `payymo.events.dispatch` task `(tenant_id, [])`, enqueued once per transaction when it
commits; the scheduler's maintenance cycle dispatches anything a lost message left behind.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from payymo.events.models import Event, EventType

DISPATCH_TASK = "payymo.events.dispatch"
_DISPATCH_QUEUED = "payymo.events.dispatch_queued"


def emit(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    type: EventType,
    key: str,
    payload: dict[str, Any],
) -> Event | None:
    """Record the event unless one with `key` exists; the new event, or None."""
    existing = session.scalar(
        select(Event.id).where(Event.tenant_id == tenant_id, Event.key == key[:200])
    )
    if existing is not None:
        return None
    event = Event(tenant_id=tenant_id, type=type.value, key=key[:200], payload=payload)
    nested = session.begin_nested()  # a concurrent twin wins on the unique key: not an error
    try:
        session.add(event)
        session.flush()
        nested.commit()
    except IntegrityError:
        nested.rollback()
        return None
    if not session.info.get(_DISPATCH_QUEUED):
        from payymo.worker.enqueue import after_commit  # noqa: PLC0415 - the worker imports us

        # One dispatch per transaction, for all its events (a run may raise hundreds).
        after_commit(session, DISPATCH_TASK, tenant_id)
        session.info[_DISPATCH_QUEUED] = True
    return event
