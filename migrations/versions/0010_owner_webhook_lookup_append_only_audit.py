"""Inbound webhooks resolve under a non-superuser schema owner; the audit log is append-only.

`payymo_inbound_webhook(key)` (0007) is SECURITY DEFINER, so it reads `inbound_webhooks` as its
owner, the role that ran the migrations. The table is FORCEd under row-level security and no
tenant is set when a webhook arrives, so for any owner but a superuser the function found
nothing. A SELECT policy that applies only TO the function's owner lets it read the table;
every other role, `payymo_app` included, still sees only the current tenant's rows.

The application role keeps INSERT and SELECT on `audit_log` and loses DELETE (UPDATE it never
had). A tenant's purge still removes its entries: PostgreSQL runs the foreign key's ON DELETE
CASCADE as the owner of `audit_log`. SQLite has no roles, so triggers refuse UPDATE, and DELETE
while the entry's tenant exists (the cascade deletes the tenant row first). A batch
(copy-and-move) migration of `audit_log` on SQLite drops them and must create them again.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28 09:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

from payymo.rls import APP_ROLE

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LOOKUP_POLICY = "inbound_webhook_lookup"
LOOKUP_FUNCTION = "payymo_inbound_webhook(text)"
SQLITE_TRIGGERS = {
    "audit_log_no_update": "BEFORE UPDATE ON audit_log",
    "audit_log_no_delete": (
        "BEFORE DELETE ON audit_log"
        " WHEN EXISTS (SELECT 1 FROM tenants WHERE tenants.id = OLD.tenant_id)"
    ),
}


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _upgrade_postgresql()
    else:
        for name, when in SQLITE_TRIGGERS.items():
            op.execute(
                f"CREATE TRIGGER {name} {when}"
                " BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
            )


def _upgrade_postgresql() -> None:
    # The policy names the role the function runs as: whoever owns it, not whoever runs this.
    op.execute(
        f"""
        DO $$ BEGIN
            EXECUTE format(
                'CREATE POLICY {LOOKUP_POLICY} ON inbound_webhooks FOR SELECT TO %I USING (true)',
                (SELECT pg_get_userbyid(proowner) FROM pg_proc
                 WHERE oid = '{LOOKUP_FUNCTION}'::regprocedure)
            );
        END $$;
        """
    )
    # 0007 set it already; stated again because the policy makes the function's reads wide.
    op.execute(f"ALTER FUNCTION {LOOKUP_FUNCTION} SET search_path = pg_catalog, public, pg_temp")
    op.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM {APP_ROLE}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"GRANT DELETE ON audit_log TO {APP_ROLE}")
        op.execute(f"ALTER FUNCTION {LOOKUP_FUNCTION} SET search_path = public, pg_temp")
        op.execute(f"DROP POLICY IF EXISTS {LOOKUP_POLICY} ON inbound_webhooks")
    else:
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
