"""Recording long operations in `job_runs`, so users see progress, results and failures."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from payymo.http import AppServices
from payymo.jobs.models import JobRun, JobStatus


class JobHandle:
    """A running job; `progress` and `result` are committed at once, so the UI sees them."""

    def __init__(self, app: AppServices, tenant_id: uuid.UUID, job_id: uuid.UUID) -> None:
        self._app, self.tenant_id, self.id = app, tenant_id, job_id
        self.result: dict[str, Any] = {}

    def update(self, **values: Any) -> None:
        with self._app.db.unit_of_work(self.tenant_id) as session:
            job = session.get(JobRun, self.id)
            if job is not None:
                for name, value in values.items():
                    setattr(job, name, value)

    def progress(self, current: int, total: int | None = None) -> None:
        self.update(progress_current=current, progress_total=total)


@contextmanager
def track_job(
    app: AppServices, *, tenant_id: uuid.UUID, kind: str, params: dict[str, Any] | None = None
) -> Iterator[JobHandle]:
    """Run the body as job `kind`: running, then succeeded with `handle.result`, or failed.

    A failure records the error's message and re-raises it.
    """
    with app.db.unit_of_work(tenant_id) as session:
        job = JobRun(
            tenant_id=tenant_id,
            kind=kind,
            params=params or {},
            status=JobStatus.RUNNING,
            started_at=app.clock.now(),
            attempts=1,
        )
        session.add(job)
        session.flush()
        job_id = job.id
    handle = JobHandle(app, tenant_id, job_id)
    try:
        yield handle
    except Exception as exc:
        handle.update(status=JobStatus.FAILED, error=_describe(exc), finished_at=app.clock.now())
        raise
    handle.update(status=JobStatus.SUCCEEDED, result=handle.result, finished_at=app.clock.now())


def _describe(exc: Exception) -> str:
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return message[:2000]
