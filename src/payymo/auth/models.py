"""Users and API keys. Passwords and key secrets are stored only as argon2id hashes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from payymo.auth.roles import Role
from payymo.db import Base, TenantOwned, str_enum


class User(TenantOwned, Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("tenant_id", "email"),)

    email: Mapped[str] = mapped_column(String(320))
    full_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str | None] = mapped_column(String(255), default=None)
    role: Mapped[Role] = mapped_column(str_enum(Role, "user_role"), default=Role.VIEWER)
    is_platform_admin: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)
    mfa_secret_encrypted: Mapped[str | None] = mapped_column(default=None)
    mfa_enabled: Mapped[bool] = mapped_column(default=False)
    # argon2 hashes of the unused one-time recovery codes.
    mfa_recovery_hashes: Mapped[list[Any]] = mapped_column(default=list)
    # The TOTP time step of the last code accepted: each code is good once.
    mfa_last_step: Mapped[int | None] = mapped_column(BigInteger, default=None)
    failed_login_count: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
    last_login_at: Mapped[datetime | None] = mapped_column(default=None)
    erased_at: Mapped[datetime | None] = mapped_column(default=None)


class ApiKey(TenantOwned, Base):
    """Machine access for one tenant: `prefix` is public, only the secret's hash is kept.

    A key belongs to the user in `created_by_id` (for a key made by a key, that key's owner):
    it can do at most what its scopes and that user's current role both allow, and it is
    revoked when the user is deactivated or erased. A key without an owner is refused."""

    __tablename__ = "api_keys"
    __table_args__ = (Index(None, "tenant_id", "created_at"),)

    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(32), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[Any]] = mapped_column(default=list)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class AuthSession(TenantOwned, Base):
    """One sign-in: every access token carries its id (`sid`), and every request checks that
    it is not revoked. Its refresh tokens are one family (`RefreshToken.family_id` is this id);
    a limited session (MFA enrolment only) has none."""

    __tablename__ = "auth_sessions"
    __table_args__ = (Index(None, "tenant_id", "user_id"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    limited: Mapped[bool] = mapped_column(default=False)
    user_agent: Mapped[str] = mapped_column(String(256), default="")
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class RefreshToken(TenantOwned, Base):
    """One link of a rotating refresh-token chain; reuse of a spent link revokes its family
    (its session)."""

    __tablename__ = "refresh_tokens"
    __table_args__ = (
        Index(None, "tenant_id", "family_id"),
        Index(None, "tenant_id", "user_id"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    family_id: Mapped[uuid.UUID] = mapped_column()
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    user_agent: Mapped[str] = mapped_column(String(256), default="")


class PasswordResetToken(TenantOwned, Base):
    __tablename__ = "password_reset_tokens"
    __table_args__ = (Index(None, "tenant_id", "user_id"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column(default=None)


class Invitation(TenantOwned, Base):
    """An emailed invitation to join a tenant with a role; accepted once."""

    __tablename__ = "invitations"
    __table_args__ = (Index(None, "tenant_id", "email"),)

    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[Role] = mapped_column(str_enum(Role, "invitation_role"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    expires_at: Mapped[datetime] = mapped_column()
    accepted_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
