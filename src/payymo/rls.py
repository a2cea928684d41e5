"""Row-level security DDL for migrations: one policy shape for every tenant-owned table.

Migrations call these so each new tenant table is protected the same way; the schema test
checks that every table with a `tenant_id` column is covered.
"""

from __future__ import annotations

from typing import Any

APP_ROLE = "payymo_app"
ALL_VERBS = "SELECT, INSERT, UPDATE, DELETE"


def protect(
    op: Any, table: str, *, column: str = "tenant_id", force: bool = True, verbs: str = ALL_VERBS
) -> None:
    """Grant the app role `verbs` on `table` and confine it to the current tenant's rows."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"GRANT {verbs} ON {table} TO {APP_ROLE}")
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    if force:
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant_isolation ON {table} "
        f"USING ({column} = payymo_current_tenant()) "
        f"WITH CHECK ({column} = payymo_current_tenant())"
    )


def unprotect(op: Any, table: str) -> None:
    """Undo `protect` (for downgrades)."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
    op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    op.execute(f"REVOKE ALL ON {table} FROM {APP_ROLE}")
