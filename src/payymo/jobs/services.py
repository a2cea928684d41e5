"""Reading job runs (running them arrives with the background workers)."""

from __future__ import annotations

import uuid

from payymo.errors import NotFound
from payymo.http import AppServices
from payymo.jobs import repository
from payymo.jobs.models import JobRun
from payymo.jobs.schemas import JobQuery


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
