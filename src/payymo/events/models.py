"""The event outbox: each event is written in the transaction that caused it, once per key."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from payymo.db import Base, TenantOwned


class EventType(StrEnum):
    MATCH_AUTO_POSTED = "match.auto_posted"
    MATCH_NEEDS_REVIEW = "match.needs_review"
    POSTING_FAILED = "posting.failed"
    CONNECTION_EXPIRING = "connection.expiring"
    SYNC_FAILED = "sync.failed"


class Event(TenantOwned, Base):
    """Something that happened; `key` makes it happen once (e.g. one `posting.failed` per
    posting, however many retries fail)."""

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("tenant_id", "key"),
        Index(None, "tenant_id", "dispatched_at"),
    )

    type: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    dispatched_at: Mapped[datetime | None] = mapped_column(default=None)
