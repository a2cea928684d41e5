"""Reading back what a tenant has stored, for assertions about what must never be there."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from payymo.db import Database
from payymo.models import Base


def stored_text(db: Database, tenant_id: uuid.UUID) -> str:
    """Every value of every row the tenant owns, in every table, as one string."""
    parts = []
    with db.unit_of_work(tenant_id) as session:
        for table in Base.metadata.sorted_tables:
            if "tenant_id" not in table.columns:
                continue
            rows = session.execute(select(table).where(table.c.tenant_id == tenant_id))
            parts.extend(repr(dict(row._mapping)) for row in rows)
    return "\n".join(parts)
