"""Sending tasks, only once the transaction that asked for them has committed.

A task enqueued inside a unit of work would be picked up before the rows it needs are visible
(or after they were rolled back). `after_commit(session, ...)` holds it until the commit; a
rollback drops it. The current request id goes with the message.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import structlog
from sqlalchemy import event
from sqlalchemy.orm import Session

from payymo.logs import get_logger
from payymo.worker.app import celery_app, current_settings
from payymo.worker.base import JOB_HEADER, REQUEST_ID_HEADER

log = get_logger(__name__)


def send(
    name: str,
    tenant_id: uuid.UUID | None,
    ids: Sequence[str | uuid.UUID] = (),
    *,
    job_id: uuid.UUID | None = None,
    countdown: float | None = None,
) -> None:
    """Send task `name` now, with `(tenant_id, ids)`."""
    current_settings()  # a process that never configured Celery (the CLI) reads the environment
    headers = {}
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    if request_id:
        headers[REQUEST_ID_HEADER] = str(request_id)
    if job_id is not None:
        headers[JOB_HEADER] = str(job_id)
    args = [str(tenant_id) if tenant_id else None, [str(i) for i in ids]]
    if celery_app.conf.task_always_eager:
        celery_app.tasks[name].apply(args=args, headers=headers)  # in-process, right now
    else:
        celery_app.send_task(name, args=args, headers=headers, countdown=countdown)


def after_commit(
    session: Session,
    name: str,
    tenant_id: uuid.UUID | None,
    ids: Sequence[str | uuid.UUID] = (),
    *,
    job_id: uuid.UUID | None = None,
) -> None:
    """Send task `name` once `session`'s transaction commits; never if it rolls back."""

    sent = False

    def on_commit(session_: Session) -> None:
        nonlocal sent
        # Also called when a savepoint is released: wait for the real commit, then send once.
        if sent or session_.in_nested_transaction():
            return
        sent = True
        try:
            send(name, tenant_id, ids, job_id=job_id)
        except Exception as exc:
            log.warning("enqueue_failed", task=name, error=str(exc))

    event.listen(session, "after_commit", on_commit)
