"""Maintenance tasks: consent-expiry notices, cleanup and retention, and the backup hook.

- Consents: a bank connection whose consent ends within 7 days raises `connection.expiring`
  once, and again once within 1 day (the event key carries the threshold).
- Cleanup: finished job runs, processed webhook events, dispatched events' deliveries older
  than RETENTION_DAYS are deleted. Decisions, allocations, postings, reversals and the audit
  log are records of money and are kept.
- Backup: the nightly trigger runs BACKUP_COMMAND (split like a shell would, but run without
  one; e.g. a script that calls pg_dump) when it is set; a non-zero exit is logged and fails
  the task. The backup itself belongs to the operations work; this is its hook.
"""

from __future__ import annotations

import shlex
import subprocess
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import Delete, delete, select
from sqlalchemy.orm import Session

from payymo.banking.models import BankConnection
from payymo.events.delivery_models import Delivery, DeliveryStatus
from payymo.events.emit import emit
from payymo.events.models import Event, EventType
from payymo.http import AppServices
from payymo.invoicing.models import ConnectionStatus
from payymo.jobs.models import JobRun, JobStatus
from payymo.logs import get_logger
from payymo.webhooks.models import WebhookEvent, WebhookEventStatus
from payymo.worker.base import payymo_task
from payymo.worker.schedule import BACKUP, CLEANUP, CONSENTS

log = get_logger(__name__)
NOTICE_DAYS = (7, 1)
BACKUP_TIMEOUT_SECONDS = 6 * 3600


@payymo_task(CONSENTS, queue="notify")
def consent_notices(
    app: AppServices, tenant_id: uuid.UUID | None, ids: list[str]
) -> dict[str, int]:
    if tenant_id is None:
        return {}
    now = app.clock.now()
    raised = 0
    with app.db.unit_of_work(tenant_id) as session:
        connections = session.scalars(
            select(BankConnection).where(
                BankConnection.tenant_id == tenant_id,
                BankConnection.status == ConnectionStatus.ACTIVE,
                BankConnection.consent_expires_at.is_not(None),
            )
        )
        for connection in connections:
            expires = connection.consent_expires_at
            if expires is None or expires <= now:
                continue
            days = [d for d in NOTICE_DAYS if expires - now <= timedelta(days=d)]
            if not days:
                continue
            threshold = min(days)
            event = emit(
                session,
                tenant_id=tenant_id,
                type=EventType.CONNECTION_EXPIRING,
                key=f"connection.expiring:{connection.id}:{expires.date()}:{threshold}d",
                payload={
                    "bank_connection_id": str(connection.id),
                    "institution_id": connection.institution_id,
                    "expires_at": expires.isoformat(),
                    "days_left": max((expires - now).days, 0),
                },
            )
            raised += event is not None
    return {"raised": raised}


@payymo_task(CLEANUP, queue="default")
def cleanup(app: AppServices, tenant_id: uuid.UUID | None, ids: list[str]) -> dict[str, int]:
    if tenant_id is None:
        return {}
    cutoff = app.clock.now() - timedelta(days=app.settings.retention_days)
    finished = (JobStatus.SUCCEEDED, JobStatus.FAILED)
    with app.db.unit_of_work(tenant_id) as session:
        jobs = _deleted(
            session,
            delete(JobRun).where(
                JobRun.tenant_id == tenant_id,
                JobRun.status.in_(finished),
                JobRun.created_at < cutoff,
            ),
        )
        webhooks = _deleted(
            session,
            delete(WebhookEvent).where(
                WebhookEvent.tenant_id == tenant_id,
                WebhookEvent.status.in_((WebhookEventStatus.PROCESSED, WebhookEventStatus.IGNORED)),
                WebhookEvent.received_at < cutoff,
            ),
        )
        old_events = select(Event.id).where(
            Event.tenant_id == tenant_id,
            Event.dispatched_at.is_not(None),
            Event.created_at < cutoff,
        )
        deliveries = _deleted(
            session,
            delete(Delivery).where(
                Delivery.tenant_id == tenant_id,
                Delivery.status.in_((DeliveryStatus.DELIVERED, DeliveryStatus.DEAD)),
                Delivery.event_id.in_(old_events),
            ),
        )
    return {"job_runs": jobs, "webhook_events": webhooks, "deliveries": deliveries}


def _deleted(session: Session, statement: Delete) -> int:
    result = session.execute(statement)
    return int(getattr(result, "rowcount", 0) or 0)


@payymo_task(BACKUP, queue="default")
def backup(app: AppServices, tenant_id: uuid.UUID | None, ids: list[str]) -> dict[str, Any]:
    """The nightly backup hook: run BACKUP_COMMAND if configured."""
    command = app.settings.backup_command
    if not command:
        log.info("backup_skipped", reason="BACKUP_COMMAND is not set")
        return {"skipped": True}
    done = subprocess.run(  # noqa: S603 - the operator's own command, no shell
        shlex.split(command),
        capture_output=True,
        text=True,
        timeout=BACKUP_TIMEOUT_SECONDS,
        check=False,
    )
    outcome = {"returncode": done.returncode, "stderr": done.stderr[-2000:]}
    if done.returncode != 0:
        log.error("backup_failed", **outcome)
        raise RuntimeError(f"BACKUP_COMMAND exited with {done.returncode}")
    log.info("backup_done")
    return outcome
