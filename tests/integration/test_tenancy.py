"""Row-level security on PostgreSQL: the second wall between tenants, below the app's filters."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from payymo.banking.models import BankAccount, BankTransaction
from payymo.db import Database, set_tenant
from payymo.tenants.models import Tenant
from payymo.tenants.services import find_tenant_by_slug
from tests.conftest import PG_APP_ROLE, PostgresDatabase
from tests.factories.banking import bank_account, bank_transaction
from tests.factories.tenants import tenant

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_db(postgresql_engine: sa.Engine) -> object:
    with postgresql_engine.connect() as connection:
        transaction = connection.begin()
        try:
            yield Database.bound_to(connection)
        finally:
            transaction.rollback()


@pytest.fixture
def two_tenants(pg_db: Database) -> tuple[Tenant, Tenant]:
    a, b = tenant(pg_db, "Alpha Hosting"), tenant(pg_db, "Beta Hosting")
    for owner, count in ((a, 3), (b, 2)):
        with pg_db.unit_of_work(owner.id) as session:
            account = bank_account(session, tenant_id=owner.id)
            for _ in range(count):
                bank_transaction(session, account=account)
    return a, b


def test_with_no_tenant_set_tenant_tables_show_no_rows(
    pg_db: Database, two_tenants: tuple[Tenant, Tenant]
) -> None:
    with pg_db.unit_of_work() as session:
        assert session.scalars(sa.select(BankTransaction)).all() == []
        assert session.scalar(sa.text("SELECT count(*) FROM bank_transactions")) == 0
        assert session.scalar(sa.text("SELECT count(*) FROM bank_accounts")) == 0
        assert session.scalar(sa.text("SELECT count(*) FROM tenants")) == 0


def test_a_tenant_sees_only_its_own_rows_even_through_raw_sql(
    pg_db: Database, two_tenants: tuple[Tenant, Tenant]
) -> None:
    a, b = two_tenants
    with pg_db.unit_of_work(a.id) as session:
        # No application-level tenant filter at all: only row-level security is left.
        rows = session.scalars(sa.select(BankTransaction)).all()
        assert len(rows) == 3
        assert {row.tenant_id for row in rows} == {a.id}
        assert session.scalar(sa.text("SELECT count(*) FROM bank_transactions")) == 3
        assert (
            session.scalar(
                sa.text("SELECT count(*) FROM bank_transactions WHERE tenant_id = :b"), {"b": b.id}
            )
            == 0
        )
        assert session.scalars(sa.select(Tenant.id)).all() == [a.id]


def test_switching_tenant_inside_a_session_switches_what_is_visible(
    pg_db: Database, two_tenants: tuple[Tenant, Tenant]
) -> None:
    a, b = two_tenants
    with pg_db.unit_of_work(a.id) as session:
        assert session.scalar(sa.text("SELECT count(*) FROM bank_transactions")) == 3
        set_tenant(session, b.id)
        assert session.scalar(sa.text("SELECT count(*) FROM bank_transactions")) == 2
        set_tenant(session, None)
        assert session.scalar(sa.text("SELECT count(*) FROM bank_transactions")) == 0


def test_a_tenant_cannot_write_rows_into_another_tenant(
    pg_db: Database, two_tenants: tuple[Tenant, Tenant]
) -> None:
    a, b = two_tenants
    with pytest.raises(DBAPIError, match="row-level security"), pg_db.unit_of_work(a.id) as session:
        bank_account(session, tenant_id=b.id)


def test_a_tenant_cannot_update_or_delete_another_tenants_rows(
    pg_db: Database, two_tenants: tuple[Tenant, Tenant]
) -> None:
    a, b = two_tenants
    with pg_db.unit_of_work(a.id) as session:
        updated = session.execute(
            sa.update(BankAccount).where(BankAccount.tenant_id == b.id).values(name="stolen")
        )
        deleted = session.execute(
            sa.delete(BankTransaction).where(BankTransaction.tenant_id == b.id)
        )
        assert updated.rowcount == 0
        assert deleted.rowcount == 0
    with pg_db.unit_of_work(b.id) as session:
        assert session.scalar(sa.text("SELECT count(*) FROM bank_transactions")) == 2
        assert session.scalars(sa.select(BankAccount.name)).all() == ["Main account"]


def test_a_slug_resolves_to_its_tenant_without_a_tenant_scope(
    pg_db: Database, two_tenants: tuple[Tenant, Tenant]
) -> None:
    a, _ = two_tenants
    found = find_tenant_by_slug(pg_db, a.slug)
    assert found is not None
    assert found.id == a.id
    assert find_tenant_by_slug(pg_db, "no-such-tenant") is None


def test_the_application_role_does_not_bypass_row_level_security(
    postgres_database: PostgresDatabase,
) -> None:
    app_db = Database(postgres_database.app_url)
    superuser_as_app_db = Database(postgres_database.admin_url, role=PG_APP_ROLE)
    superuser_db = Database(postgres_database.admin_url)
    owner_db = Database(postgres_database.owner_url)
    try:
        assert app_db.rls_bypass_reason() is None
        assert superuser_as_app_db.rls_bypass_reason() is None
        superuser = superuser_db.rls_bypass_reason()
        assert superuser is not None
        assert "bypasses row-level security" in superuser
        owner = owner_db.rls_bypass_reason()
        assert owner is not None
        assert "owns the schema" in owner
    finally:
        for database in (app_db, superuser_as_app_db, superuser_db, owner_db):
            database.dispose()
