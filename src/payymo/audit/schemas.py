"""Audit log API models."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import Field

from payymo.api.pagination import PageQuery
from payymo.api.schemas import ApiModel, Page
from payymo.audit.models import ActorType


class AuditEntryOut(ApiModel):
    id: uuid.UUID
    occurred_at: datetime
    actor_type: ActorType
    actor_id: str | None
    action: str
    object_type: str
    object_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    request_id: str | None


class AuditPage(Page[AuditEntryOut]):
    pass


class AuditQuery(PageQuery):
    actor_id: str | None = Field(default=None, max_length=64)
    action: str | None = Field(default=None, max_length=64)
    object_type: str | None = Field(default=None, max_length=64)
    object_id: str | None = Field(default=None, max_length=64)
    date_from: date | None = Field(default=None, description="First day included (UTC)")
    date_to: date | None = Field(default=None, description="Last day included (UTC)")
