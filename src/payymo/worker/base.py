"""What every Payymo task shares.

A task takes `(tenant_id, ids)` and is idempotent: running it twice has the effect of running
it once (syncs deduplicate, reconciliation stores only changes, postings ask WHMCS first).
Provider outages and lost database connections are retried with exponential backoff and jitter,
up to TASK_MAX_RETRIES. A task that fails for good becomes a dead letter: a `job_runs` row with
status `dead`, its error and its arguments, which `POST /api/v1/jobs/{id}/retry` sends again.
The web request's id travels with the message and is bound to the task's log lines.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable
from typing import Any

import structlog
from celery import Task
from celery.exceptions import Retry
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy.exc import OperationalError

from payymo.http import AppServices
from payymo.integrations.errors import ProviderError
from payymo.jobs.models import JobRun, JobStatus
from payymo.logs import bind_context, clear_context, get_logger
from payymo.worker import metrics
from payymo.worker.app import ROUTES, celery_app, current_settings
from payymo.worker.runtime import services

log = get_logger(__name__)

REQUEST_ID_HEADER = "payymo_request_id"
JOB_HEADER = "payymo_job_id"
TaskBody = Callable[[AppServices, uuid.UUID | None, list[str]], Any]


def header(request: Any, name: str) -> str | None:
    """A custom message header, wherever this Celery version puts it on the request."""
    value = getattr(request, name, None)
    if value is None and isinstance(getattr(request, "headers", None), dict):
        value = request.headers.get(name)
    return str(value) if value else None


def is_retryable(exc: BaseException) -> bool:
    if isinstance(exc, ProviderError):
        return exc.retryable
    return isinstance(exc, (OperationalError, RedisConnectionError, TimeoutError))


def backoff_seconds(retries: int) -> float:
    """Exponential backoff with full jitter: a random wait up to base * 2^retries, capped."""
    settings = current_settings()
    ceiling = min(
        settings.task_retry_backoff_seconds * 2**retries, settings.task_retry_backoff_max_seconds
    )
    return random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not a secret


def payymo_task(name: str, *, queue: str) -> Callable[[TaskBody], Task]:
    """Register `body(app, tenant_id, ids)` as the Celery task `name` on `queue`."""

    def register(body: TaskBody) -> Task:
        ROUTES[name] = queue

        @celery_app.task(name=name, bind=True, acks_late=True)  # type: ignore[untyped-decorator]
        def task(self: Task, tenant_id: str | None = None, ids: list[str] | None = None) -> Any:
            return _run(self, name, body, tenant_id, list(ids or []))

        return task

    return register


def _run(task: Task, name: str, body: TaskBody, tenant_id: str | None, ids: list[str]) -> Any:
    request = task.request
    outer = structlog.contextvars.get_contextvars()  # an in-process caller's, put back after
    bind_context(
        request_id=header(request, REQUEST_ID_HEADER) or request.id,
        tenant_id=tenant_id,
        task=name,
    )
    started = time.perf_counter()
    tenant = uuid.UUID(tenant_id) if tenant_id else None
    try:
        result = body(services(), tenant, ids)
    except Retry:
        raise
    except Exception as exc:
        return _failed(task, name, tenant, ids, exc)
    finally:
        metrics.TASK_DURATION.labels(name).observe(time.perf_counter() - started)
        clear_context()
        bind_context(**outer)
    _settle_job(task, tenant, JobStatus.SUCCEEDED, None)
    return result


def _failed(
    task: Task, name: str, tenant: uuid.UUID | None, ids: list[str], exc: Exception
) -> dict[str, Any]:
    settings = current_settings()
    retries = task.request.retries or 0
    message = (getattr(exc, "message", None) or str(exc) or type(exc).__name__)[:2000]
    eager = bool(task.request.is_eager)
    if is_retryable(exc) and not eager and retries < settings.task_max_retries:
        metrics.TASK_FAILURES.labels(name, "retry").inc()
        countdown = backoff_seconds(retries)
        log.warning("task_retry", error=message, retries=retries, countdown=round(countdown, 1))
        raise task.retry(exc=exc, countdown=countdown, max_retries=settings.task_max_retries)
    metrics.TASK_FAILURES.labels(name, "dead").inc()
    log.error("task_dead", error=message, retries=retries, error_type=type(exc).__name__)
    if tenant is not None:
        _dead_letter(task, name, tenant, ids, error=message, attempts=retries + 1)
    return {"dead": True, "error": message}


def _dead_letter(
    task: Task, name: str, tenant: uuid.UUID, ids: list[str], *, error: str, attempts: int
) -> None:
    app = services()
    job_id = header(task.request, JOB_HEADER)
    with app.db.unit_of_work(tenant) as session:
        job = session.get(JobRun, uuid.UUID(job_id)) if job_id else None
        if job is None or job.tenant_id != tenant:
            job = JobRun(tenant_id=tenant, kind=name, params={"task": name, "ids": ids}, attempts=0)
            session.add(job)
        job.status, job.error, job.task_id = JobStatus.DEAD, error, task.request.id
        job.attempts = (job.attempts or 0) + attempts
        job.finished_at = app.clock.now()


def _settle_job(task: Task, tenant: uuid.UUID | None, status: JobStatus, error: str | None) -> None:
    """A retried dead letter that now succeeded is marked so."""
    job_id = header(task.request, JOB_HEADER)
    if not job_id or tenant is None:
        return
    app = services()
    with app.db.unit_of_work(tenant) as session:
        job = session.get(JobRun, uuid.UUID(job_id))
        if job is not None and job.tenant_id == tenant:
            job.status, job.error, job.finished_at = status, error, app.clock.now()
