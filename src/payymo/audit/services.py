"""Writing to the audit log; every state-changing service calls `record` in its transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from payymo.audit.models import ActorType, AuditEntry

if TYPE_CHECKING:
    from payymo.audit.schemas import AuditQuery
    from payymo.http import AppServices


@dataclass(frozen=True)
class Actor:
    """Who did it: a user, an API key, or Payymo itself (CLI, scheduler, engine)."""

    type: ActorType
    id: str | None = None

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        return cls(ActorType.SYSTEM, name)

    @classmethod
    def user(cls, user_id: uuid.UUID) -> Actor:
        return cls(ActorType.USER, str(user_id))


def record(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: uuid.UUID | str | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    request_id: str | None = None,
) -> AuditEntry:
    """Append one audit entry to the current transaction (committed with the change)."""
    entry = AuditEntry(
        tenant_id=tenant_id,
        actor_type=actor.type,
        actor_id=actor.id,
        action=action,
        object_type=object_type,
        object_id=str(object_id) if object_id is not None else None,
        before=before,
        after=after,
        request_id=request_id,
    )
    session.add(entry)
    return entry


def list_entries(
    app: AppServices, *, tenant_id: uuid.UUID, query: AuditQuery
) -> tuple[list[AuditEntry], str | None]:
    """A page of the tenant's audit log, newest first."""
    from payymo.audit import repository  # noqa: PLC0415 - record() is imported everywhere; keep it light

    with app.db.unit_of_work(tenant_id) as session:
        return repository.entry_page(session, tenant_id, query)
