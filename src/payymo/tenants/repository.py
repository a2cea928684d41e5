"""Tenant lookups. The tenants table is itself row-level protected: a session sees its own."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from payymo.db import set_tenant
from payymo.tenants.models import Tenant


def get(session: Session, tenant_id: uuid.UUID, *, lock: bool = False) -> Tenant | None:
    """The tenant; with `lock`, its row is locked until the transaction ends."""
    query = select(Tenant).where(Tenant.id == tenant_id)
    return session.scalars(query.with_for_update() if lock else query).one_or_none()


def find_by_slug(session: Session, slug: str) -> Tenant | None:
    """The live tenant with `slug`, found even before the session is scoped to a tenant.

    On PostgreSQL row-level security hides every tenant but the current one, so the id is
    resolved by the SECURITY DEFINER function `payymo_tenant_lookup` (migration 0002), which
    reveals nothing but the id; the row itself is then read inside that tenant's scope.
    """
    if session.get_bind().dialect.name != "postgresql":
        return session.scalars(
            select(Tenant).where(Tenant.slug == slug, Tenant.deleted_at.is_(None))
        ).one_or_none()
    tenant_id = session.scalar(text("SELECT payymo_tenant_lookup(:slug)"), {"slug": slug})
    if tenant_id is None:
        return None
    set_tenant(session, tenant_id)
    return get(session, tenant_id)


@dataclass(frozen=True)
class TenantRow:
    id: uuid.UUID
    name: str
    slug: str
    status: str
    default_currency: str
    created_at: datetime


def all_tenants(session: Session) -> list[TenantRow]:
    """Every live tenant. On PostgreSQL through `payymo_platform_tenants()` (migration 0004),
    since row-level security shows a session only its own tenant."""
    if session.get_bind().dialect.name == "postgresql":
        rows = session.execute(text("SELECT * FROM payymo_platform_tenants()")).mappings()
        return [TenantRow(**row) for row in rows]
    tenants = session.scalars(
        select(Tenant).where(Tenant.deleted_at.is_(None)).order_by(Tenant.created_at)
    )
    return [
        TenantRow(t.id, t.name, t.slug, t.status.value, t.default_currency, t.created_at)
        for t in tenants
    ]
