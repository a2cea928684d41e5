"""invoices.search_text and bank_transactions.search_text: what `q` searches, folded (upper
case, no accents) when a row is written, so that a search ignores case and accents alike on
SQLite and PostgreSQL; existing rows are filled here.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 10:00:00.000000
"""

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from payymo.db import TENANT_SETTING
from payymo.text import search_text

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000
# The fields each table is searched by, in the order the models fold them.
SEARCHED: dict[str, tuple[tuple[str, ...], Callable[[Any], str]]] = {
    "invoices": (
        ("whmcs_invoice_id", "invoice_num", "client_name", "company_name"),
        lambda row: search_text(
            str(row.whmcs_invoice_id), row.invoice_num, row.client_name, row.company_name
        ),
    ),
    "bank_transactions": (
        ("counterparty_name", "remittance"),
        lambda row: search_text(row.counterparty_name, row.remittance),
    ),
}


def upgrade() -> None:
    for table in SEARCHED:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("search_text", sa.Text(), server_default="", nullable=False))
    bind = op.get_bind()
    for table, (columns, fold) in SEARCHED.items():
        _fill(bind, table, columns, fold)


def _fill(
    bind: sa.Connection, table: str, columns: tuple[str, ...], fold: Callable[[Any], str]
) -> None:
    """Fill `search_text`, one tenant at a time: under forced row-level security a migration
    role that is not a superuser sees only the rows of the tenant it names."""
    rows = sa.table(
        table,
        sa.column("id"),
        sa.column("tenant_id"),
        sa.column("search_text"),
        *(sa.column(c) for c in columns),
    )
    update = (
        sa.update(rows)
        .where(rows.c.id == sa.bindparam("row_id"))
        .values(search_text=sa.bindparam("folded"))
    )
    for (tenant_id,) in bind.execute(sa.text("SELECT id FROM tenants")).all():
        if bind.dialect.name == "postgresql":
            bind.execute(
                sa.text("SELECT set_config(:name, :value, true)"),
                {"name": TENANT_SETTING, "value": str(tenant_id)},
            )
        found = bind.execute(
            sa.select(rows.c.id, *(rows.c[c] for c in columns)).where(rows.c.tenant_id == tenant_id)
        ).all()
        for start in range(0, len(found), BATCH):
            bind.execute(
                update,
                [{"row_id": row.id, "folded": fold(row)} for row in found[start : start + BATCH]],
            )
    if bind.dialect.name == "postgresql":
        bind.execute(sa.text("SELECT set_config(:name, '', true)"), {"name": TENANT_SETTING})


def downgrade() -> None:
    for table in SEARCHED:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("search_text")
