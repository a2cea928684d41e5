"""The schema: migrations match the models, go down and up again, and protect every tenant table."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from payymo import migrate
from payymo.banking.models import BankTransaction
from payymo.db import Database, tenant_owned_tables
from payymo.invoicing.models import Invoice, InvoiceStatus
from payymo.models import Base
from tests.conftest import fresh_postgres_database
from tests.factories.banking import bank_account, bank_transaction
from tests.factories.tenants import tenant


def test_sqlite_schema_matches_the_models(sqlite_engine: sa.Engine) -> None:
    with sqlite_engine.connect() as connection:
        assert migrate.drift(connection) == []


@pytest.mark.postgres
def test_postgresql_schema_matches_the_models(postgres_owner_url: str) -> None:
    assert migrate.check(postgres_owner_url) == []


@pytest.mark.postgres
def test_postgresql_migrations_go_down_to_base_and_up_again() -> None:
    with fresh_postgres_database("payymo_updown") as database:
        url = database.owner_url
        assert _tables(url) >= set(Base.metadata.tables)
        migrate.downgrade(url, "base")
        assert _tables(url) == {"alembic_version"}
        migrate.upgrade(url)
        assert _tables(url) >= set(Base.metadata.tables)
        assert migrate.check(url) == []


@pytest.mark.postgres
def test_every_table_with_a_tenant_id_is_forced_under_row_level_security(
    postgres_url: str,
) -> None:
    engine = sa.create_engine(postgres_url, poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                """
                SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
                       count(p.polname) AS policies
                FROM pg_class c
                JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
                JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id'
                LEFT JOIN pg_policy p ON p.polrelid = c.oid
                WHERE c.relkind = 'r'
                GROUP BY c.relname, c.relrowsecurity, c.relforcerowsecurity
                """
            )
        ).all()
    engine.dispose()
    found = {row.relname for row in rows}
    assert found == set(tenant_owned_tables())
    unprotected = [r.relname for r in rows if not (r.relrowsecurity and r.relforcerowsecurity)]
    assert unprotected == []
    assert all(row.policies >= 1 for row in rows)


def test_tenant_id_leads_an_index_on_every_tenant_table() -> None:
    for name in tenant_owned_tables():
        table = Base.metadata.tables[name]
        leading = [
            next(iter(c.columns)).name
            for c in [*table.indexes, *table.constraints]
            if isinstance(c, sa.Index | sa.UniqueConstraint) and c.columns
        ]
        assert "tenant_id" in leading, f"{name} has no index led by tenant_id"
        tenant_id = table.columns["tenant_id"]
        assert not tenant_id.nullable
        assert [fk.column.table.name for fk in tenant_id.foreign_keys] == ["tenants"]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def fresh(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A database of its own, migrated to head, on each backend in turn: (app URL, owner URL)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'fresh.db'}"
        migrate.upgrade(url)
        yield url, url
        return
    with fresh_postgres_database("payymo_fresh") as database:
        yield database.app_url, database.owner_url


def test_the_search_text_migration_fills_the_rows_already_there(fresh: tuple[str, str]) -> None:
    app_url, owner_url = fresh
    db = Database(app_url)
    owners = [tenant(db), tenant(db)]
    for n, owner in enumerate(owners):
        with db.unit_of_work(owner.id) as session:
            session.add(
                Invoice(
                    tenant_id=owner.id,
                    whmcs_invoice_id=1044 + n,
                    whmcs_client_id=7,
                    client_name="Ana García",
                    company_name="Peña SL",
                    status=InvoiceStatus.UNPAID,
                    currency="EUR",
                    total_minor=100,
                    balance_minor=100,
                )
            )
            account = bank_account(session, tenant_id=owner.id)
            bank_transaction(
                session, account=account, counterparty_name="José", remittance="Factura 1044"
            )
    db.dispose()
    migrate.downgrade(owner_url, "0008")  # the rows as they were before the column existed
    migrate.upgrade(owner_url)

    db = Database(app_url)
    folded = []
    for owner in owners:
        with db.unit_of_work(owner.id) as session:
            for model in (Invoice, BankTransaction):
                query = sa.select(model.search_text).where(model.tenant_id == owner.id)
                folded += session.scalars(query).all()
    db.dispose()
    assert folded == [
        "1044\nANA GARCIA\nPENA SL",
        "JOSE\nFACTURA 1044",
        "1045\nANA GARCIA\nPENA SL",
        "JOSE\nFACTURA 1044",
    ]


def _tables(url: str) -> set[str]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()
