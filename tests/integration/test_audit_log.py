"""The audit log is append-only for the application: it inserts and reads entries, and may
neither change nor delete one (a PostgreSQL grant, SQLite triggers). A tenant's purge still
takes its entries with it, through the foreign key's cascade."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from payymo.audit.models import ActorType, AuditEntry
from payymo.db import Database
from payymo.tenants.models import Tenant
from tests.factories.tenants import tenant

REFUSED = {"postgresql": "permission denied for table audit_log", "sqlite": "append-only"}


def _entries(db: Database, owner: Tenant) -> int:
    with db.unit_of_work(owner.id) as session:
        query = sa.select(sa.func.count()).select_from(AuditEntry)
        return session.scalar(query.where(AuditEntry.tenant_id == owner.id)) or 0


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_log SET action = 'forged'", "DELETE FROM audit_log"],
)
def test_the_application_can_neither_change_nor_delete_an_audit_entry(
    db: Database, statement: str
) -> None:
    owner = tenant(db)
    assert _entries(db, owner) >= 1
    refused = REFUSED[db.engine.dialect.name]
    with pytest.raises(DBAPIError, match=refused), db.unit_of_work(owner.id) as session:
        session.execute(sa.text(statement))
    assert _entries(db, owner) >= 1


def test_the_application_appends_and_reads_audit_entries(db: Database) -> None:
    owner = tenant(db)
    before = _entries(db, owner)
    with db.unit_of_work(owner.id) as session:
        session.add(
            AuditEntry(
                tenant_id=owner.id,
                actor_type=ActorType.SYSTEM,
                action="test.appended",
                object_type="x",
            )
        )
    assert _entries(db, owner) == before + 1


def test_purging_a_tenant_removes_its_audit_entries_and_no_one_elses(db: Database) -> None:
    purged, kept = tenant(db), tenant(db)
    kept_entries = _entries(db, kept)
    with db.unit_of_work(purged.id) as session:
        session.execute(sa.delete(Tenant).where(Tenant.id == purged.id))
    assert _entries(db, purged) == 0
    assert _entries(db, kept) == kept_entries
