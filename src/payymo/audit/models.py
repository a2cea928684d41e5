"""The audit log. Rows are only inserted: the application may neither update nor delete them
(a PostgreSQL grant, SQLite triggers; migration 0010); a tenant's purge cascades to its rows."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from payymo.db import Base, TenantOwned, str_enum, utcnow


class ActorType(StrEnum):
    USER = "user"
    API_KEY = "api_key"
    SYSTEM = "system"


class AuditEntry(TenantOwned, Base):
    __tablename__ = "audit_log"
    __table_args__ = (
        Index(None, "tenant_id", "occurred_at"),
        Index(None, "tenant_id", "object_type", "object_id"),
        Index(None, "tenant_id", "actor_id"),
    )

    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_type: Mapped[ActorType] = mapped_column(str_enum(ActorType, "audit_actor_type"))
    # A pseudonymous reference: user ids survive a user's erasure, names do not.
    actor_id: Mapped[str | None] = mapped_column(String(64), default=None)
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str | None] = mapped_column(String(64), default=None)
    before: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    after: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    request_id: Mapped[str | None] = mapped_column(String(128), default=None)
