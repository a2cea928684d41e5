"""The task that processes stored webhook events: `(tenant_id, [webhook_event_id, ...])`."""

from __future__ import annotations

import uuid

from payymo.http import AppServices
from payymo.webhooks.processing import process_events
from payymo.worker.base import payymo_task

PROCESS = "payymo.webhooks.process"


@payymo_task(PROCESS, queue="default")
def process_task(app: AppServices, tenant_id: uuid.UUID | None, ids: list[str]) -> dict[str, int]:
    """Idempotent: an event already processed (or ignored) is skipped."""
    if tenant_id is None:
        raise ValueError("this task needs a tenant id")
    return process_events(app, tenant_id=tenant_id, event_ids=[uuid.UUID(i) for i in ids])
