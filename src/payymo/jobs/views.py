"""Job status: what background work ran, its progress and its errors."""

from __future__ import annotations

import uuid

from flask import Blueprint

from payymo.api.context import Ctx
from payymo.api.registry import endpoint
from payymo.auth.principal import Permission
from payymo.jobs import services
from payymo.jobs.schemas import JobOut, JobPage, JobQuery

jobs_bp = Blueprint("jobs", __name__, url_prefix="/api/v1/jobs")


@endpoint(
    jobs_bp,
    "GET",
    "",
    summary="List jobs, newest first",
    permission=Permission.READ,
    query=JobQuery,
    response=JobPage,
)
def list_jobs(ctx: Ctx, query: JobQuery) -> JobPage:
    rows, cursor = services.list_jobs(ctx.services, tenant_id=ctx.caller.tenant_id, query=query)
    return JobPage(data=[JobOut.model_validate(j) for j in rows], next_cursor=cursor)


@endpoint(
    jobs_bp,
    "GET",
    "/<uuid:job_id>",
    summary="One job with its progress",
    permission=Permission.READ,
    response=JobOut,
    resource="job",
)
def get_job(ctx: Ctx, job_id: uuid.UUID) -> JobOut:
    return JobOut.model_validate(
        services.get_job(ctx.services, tenant_id=ctx.caller.tenant_id, job_id=job_id)
    )


@endpoint(
    jobs_bp,
    "POST",
    "/<uuid:job_id>/retry",
    summary="Retry a dead background task",
    description="A task that failed for good (status dead) is sent again with its arguments; "
    "the job shows the outcome. 409 for any other job.",
    permission=Permission.RECONCILE,
    response=JobOut,
    status=202,
    resource="job",
)
def retry_job(ctx: Ctx, job_id: uuid.UUID) -> JobOut:
    job = services.retry_dead(
        ctx.services, tenant_id=ctx.caller.tenant_id, job_id=job_id, actor=ctx.caller.actor
    )
    return JobOut.model_validate(job)
