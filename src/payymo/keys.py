"""Rotating the encryption of secrets at rest to the newest key in ENCRYPTION_KEYS."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Table, select, update

from payymo.crypto import SecretBox
from payymo.db import Database
from payymo.models import Base
from payymo.tenants import repository as tenants_repo

ENCRYPTED_SUFFIX = "_encrypted"


@dataclass(frozen=True)
class RotationResult:
    tenants: int
    values: int


def encrypted_columns() -> list[tuple[Table, list[str]]]:
    """Every tenant table with encrypted columns, and those columns."""
    found = []
    for table in Base.metadata.sorted_tables:
        columns = [c.name for c in table.columns if c.name.endswith(ENCRYPTED_SUFFIX)]
        if columns and "tenant_id" in table.columns:
            found.append((table, columns))
    return found


def rotate_secrets(
    db: Database,
    box: SecretBox,
    *,
    tenant_ids: list[uuid.UUID] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> RotationResult:
    """Re-encrypt the secrets of every tenant (or of `tenant_ids`) under the first key, one
    tenant per transaction. Safe to re-run: a value already under the newest key is simply
    re-encrypted again.
    """
    if tenant_ids is None:
        with db.unit_of_work() as session:
            tenant_ids = [t.id for t in tenants_repo.all_tenants(session)]
    values = 0
    for done, tenant_id in enumerate(tenant_ids, start=1):
        with db.unit_of_work(tenant_id) as session:
            for table, columns in encrypted_columns():
                for row in session.execute(
                    select(table.c.id, *(table.c[c] for c in columns)).where(
                        table.c.tenant_id == tenant_id
                    )
                ):
                    changes = {c: box.rotate(row._mapping[c]) for c in columns if row._mapping[c]}
                    if changes:
                        session.execute(update(table).where(table.c.id == row.id).values(**changes))
                        values += len(changes)
        if progress:
            progress(done, len(tenant_ids))
    return RotationResult(len(tenant_ids), values)
