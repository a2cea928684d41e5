"""Queries over job runs, always within one tenant."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from payymo.api.pagination import keyset_page, parse_datetime, parse_uuid
from payymo.jobs.models import JobRun
from payymo.jobs.schemas import JobQuery


def job(
    session: Session, tenant_id: uuid.UUID, job_id: uuid.UUID, *, lock: bool = False
) -> JobRun | None:
    query = select(JobRun).where(JobRun.tenant_id == tenant_id, JobRun.id == job_id)
    return session.scalars(query.with_for_update() if lock else query).one_or_none()


def job_page(
    session: Session, tenant_id: uuid.UUID, query: JobQuery
) -> tuple[list[JobRun], str | None]:
    q = select(JobRun).where(JobRun.tenant_id == tenant_id)
    if query.status is not None:
        q = q.where(JobRun.status == query.status)
    if query.kind is not None:
        q = q.where(JobRun.kind == query.kind)
    return keyset_page(
        session,
        q,
        order=(JobRun.created_at, JobRun.id),
        parsers=(parse_datetime, parse_uuid),
        key=lambda j: (j.created_at, j.id),
        page=query,
    )
