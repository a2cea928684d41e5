"""Job status for the UI: progress and errors of background work."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import Field

from payymo.api.pagination import PageQuery
from payymo.api.schemas import ApiModel, Page
from payymo.jobs.models import JobStatus


class JobOut(ApiModel):
    id: uuid.UUID
    kind: str
    status: JobStatus
    params: dict[str, Any]
    result: dict[str, Any] | None
    progress_current: int
    progress_total: int | None
    attempts: int
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class JobPage(Page[JobOut]):
    pass


class JobQuery(PageQuery):
    status: JobStatus | None = None
    kind: str | None = Field(default=None, max_length=64)
