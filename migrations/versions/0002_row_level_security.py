"""Row-level security on every tenant-owned table (PostgreSQL only).

Policies compare `tenant_id` with `payymo_current_tenant()`, the transaction-local setting
`app.tenant_id` that the session layer sets for each unit of work; with no tenant set they match
nothing. FORCE makes the table owner subject to them too. The application runs as `payymo_app`
(directly, as a member of it, or through `DATABASE_ROLE`), which does not bypass RLS. The audit
log is append-only for that role: no UPDATE grant.

The tenants table is protected but not FORCEd: its owner (the migration role) may read it, which
is what lets the SECURITY DEFINER function `payymo_tenant_lookup(slug)` resolve a slug to an id
(for sign-in and operator tools) without exposing any other column of any other tenant.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

from payymo.rls import ALL_VERBS, APP_ROLE, protect, unprotect

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = (
    "users",
    "api_keys",
    "whmcs_connections",
    "invoices",
    "bank_connections",
    "bank_accounts",
    "bank_transactions",
    "stripe_connections",
    "stripe_payments",
    "stripe_payouts",
    "stripe_balance_transactions",
    "decisions",
    "allocations",
    "postings",
    "webhook_events",
    "audit_log",
    "job_runs",
)
APPEND_ONLY_TABLES = ("audit_log",)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        f"""
        DO $$ BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
                CREATE ROLE {APP_ROLE} NOLOGIN;
            END IF;
        END $$;
        """
    )
    op.execute(
        """
        CREATE FUNCTION payymo_current_tenant() RETURNS uuid
        LANGUAGE sql STABLE PARALLEL SAFE
        AS $$ SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid $$
        """
    )
    op.execute(f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}")
    op.execute(f"GRANT EXECUTE ON FUNCTION payymo_current_tenant() TO {APP_ROLE}")
    op.execute(f"GRANT SELECT ON alembic_version TO {APP_ROLE}")
    protect(op, "tenants", column="id", force=False)
    op.execute(
        """
        CREATE FUNCTION payymo_tenant_lookup(tenant_slug text) RETURNS uuid
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
        AS $$ SELECT id FROM tenants WHERE slug = tenant_slug AND deleted_at IS NULL $$
        """
    )
    op.execute("REVOKE ALL ON FUNCTION payymo_tenant_lookup(text) FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION payymo_tenant_lookup(text) TO {APP_ROLE}")
    for table in TENANT_TABLES:
        verbs = "SELECT, INSERT, DELETE" if table in APPEND_ONLY_TABLES else ALL_VERBS
        protect(op, table, verbs=verbs)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in ("tenants", *TENANT_TABLES):
        unprotect(op, table)
    op.execute(f"REVOKE ALL ON alembic_version FROM {APP_ROLE}")
    op.execute(f"REVOKE ALL ON SCHEMA public FROM {APP_ROLE}")
    op.execute("DROP FUNCTION payymo_tenant_lookup(text)")
    op.execute("DROP FUNCTION payymo_current_tenant()")
