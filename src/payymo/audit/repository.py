"""Queries over the audit log, always within one tenant."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from payymo.api.pagination import keyset_page, parse_datetime, parse_uuid
from payymo.audit.models import AuditEntry
from payymo.audit.schemas import AuditQuery


def entry_page(
    session: Session, tenant_id: uuid.UUID, query: AuditQuery
) -> tuple[list[AuditEntry], str | None]:
    q = select(AuditEntry).where(AuditEntry.tenant_id == tenant_id)
    exact = (
        (query.actor_id, AuditEntry.actor_id),
        (query.action, AuditEntry.action),
        (query.object_type, AuditEntry.object_type),
        (query.object_id, AuditEntry.object_id),
    )
    for value, column in exact:
        if value is not None:
            q = q.where(column == value)
    if query.date_from:
        q = q.where(AuditEntry.occurred_at >= _start_of(query.date_from))
    if query.date_to:
        q = q.where(AuditEntry.occurred_at < _start_of(query.date_to) + timedelta(days=1))
    return keyset_page(
        session,
        q,
        order=(AuditEntry.occurred_at, AuditEntry.id),
        parsers=(parse_datetime, parse_uuid),
        key=lambda e: (e.occurred_at, e.id),
        page=query,
    )


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)
