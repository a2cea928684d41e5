"""The dispatch task `(tenant_id, [])`: sent after every transaction that emitted events, and
by the scheduler's maintenance cycle for each tenant."""

from __future__ import annotations

import uuid
from typing import Any

from payymo.events.dispatch import dispatch
from payymo.events.emit import DISPATCH_TASK
from payymo.http import AppServices
from payymo.worker.app import celery_app
from payymo.worker.base import payymo_task
from payymo.worker.enqueue import send


@payymo_task(DISPATCH_TASK, queue="notify")
def dispatch_task(app: AppServices, tenant_id: uuid.UUID | None, ids: list[str]) -> dict[str, Any]:
    if tenant_id is None:
        return {}
    run = dispatch(app, tenant_id=tenant_id)
    if run.next_retry_at is not None and not celery_app.conf.task_always_eager:
        # Retries go out on time, not only at the next maintenance cycle. In-process (no
        # broker) there is no delayed delivery: the cycle and the next event pick them up.
        wait = (run.next_retry_at - app.clock.now()).total_seconds()
        send(DISPATCH_TASK, tenant_id, countdown=max(wait, 1.0))
    return run.as_dict()
