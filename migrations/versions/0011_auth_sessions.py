"""auth_sessions: one row per sign-in, checked on every request, so that signing out, a
password change or reset, deactivation and erasure end access at once.

Sessions opened before this revision had none; their refresh tokens are refused and their
users sign in again.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 23:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import payymo.db
from payymo.rls import protect, unprotect

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "auth_sessions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("limited", sa.Boolean(), nullable=False),
        sa.Column("user_agent", sa.String(length=256), nullable=False),
        sa.Column("revoked_at", payymo.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", payymo.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", payymo.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_auth_sessions_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_auth_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_sessions")),
    )
    with op.batch_alter_table("auth_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_auth_sessions_tenant_id_user_id"), ["tenant_id", "user_id"], unique=False
        )
    protect(op, "auth_sessions")


def downgrade() -> None:
    unprotect(op, "auth_sessions")
    with op.batch_alter_table("auth_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auth_sessions_tenant_id_user_id"))
    op.drop_table("auth_sessions")
