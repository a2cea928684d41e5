"""Reading job runs, and retrying dead letters (tasks that failed for good)."""

from __future__ import annotations

import uuid

from payymo.audit.services import Actor, record
from payymo.errors import Conflict, NotFound
from payymo.http import AppServices
from payymo.jobs import repository
from payymo.jobs.models import JobRun, JobStatus
from payymo.jobs.schemas import JobQuery
from payymo.worker.enqueue import after_commit


def list_jobs(
    app: AppServices, *, tenant_id: uuid.UUID, query: JobQuery
) -> tuple[list[JobRun], str | None]:
    with app.db.unit_of_work(tenant_id) as session:
        return repository.job_page(session, tenant_id, query)


def get_job(app: AppServices, *, tenant_id: uuid.UUID, job_id: uuid.UUID) -> JobRun:
    with app.db.unit_of_work(tenant_id) as session:
        found = repository.job(session, tenant_id, job_id)
        if found is None:
            raise NotFound(detail="no such job")
        return found


def retry_dead(
    app: AppServices, *, tenant_id: uuid.UUID, job_id: uuid.UUID, actor: Actor
) -> JobRun:
    """Send a dead letter's task again, with its arguments; the job row follows the retry."""
    with app.db.unit_of_work(tenant_id) as session:
        job = repository.job(session, tenant_id, job_id, lock=True)
        if job is None:
            raise NotFound(detail="no such job")
        task = job.params.get("task") if isinstance(job.params, dict) else None
        if job.status is not JobStatus.DEAD or not isinstance(task, str):
            raise Conflict(detail="only a dead background task can be retried")
        ids = [str(i) for i in job.params.get("ids", [])]
        job.status, job.error, job.finished_at = JobStatus.QUEUED, None, None
        record(
            session,
            tenant_id=tenant_id,
            actor=actor,
            action="job.retried",
            object_type="job",
            object_id=job.id,
            after={"task": task},
        )
        after_commit(session, task, tenant_id, ids, job_id=job.id)
        session.flush()
        return job
