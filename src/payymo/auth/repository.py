"""Queries for users and their credentials; every one is scoped to a tenant."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from payymo.auth.models import (
    ApiKey,
    AuthSession,
    Invitation,
    PasswordResetToken,
    RefreshToken,
    User,
)
from payymo.auth.roles import Role
from payymo.tenants.models import Tenant


def user_by_email(
    session: Session, tenant_id: uuid.UUID, email: str, *, for_update: bool = False
) -> User | None:
    query = select(User).where(User.tenant_id == tenant_id, User.email == email)
    return session.scalars(query.with_for_update() if for_update else query).one_or_none()


def user_by_id(
    session: Session, tenant_id: uuid.UUID, user_id: uuid.UUID, *, for_update: bool = False
) -> User | None:
    query = select(User).where(User.tenant_id == tenant_id, User.id == user_id)
    return session.scalars(query.with_for_update() if for_update else query).one_or_none()


def users(session: Session, tenant_id: uuid.UUID) -> list[User]:
    return list(
        session.scalars(select(User).where(User.tenant_id == tenant_id).order_by(User.created_at))
    )


def count_active_owners(session: Session, tenant_id: uuid.UUID) -> int:
    return len(
        session.scalars(
            select(User.id).where(
                User.tenant_id == tenant_id, User.role == Role.OWNER, User.is_active.is_(True)
            )
        ).all()
    )


def refresh_token_by_hash(
    session: Session, tenant_id: uuid.UUID, digest: str
) -> RefreshToken | None:
    return session.scalars(
        select(RefreshToken)
        .where(RefreshToken.tenant_id == tenant_id, RefreshToken.token_hash == digest)
        .with_for_update()
    ).one_or_none()


def auth_session(
    session: Session, tenant_id: uuid.UUID, session_id: uuid.UUID, *, for_update: bool = False
) -> AuthSession | None:
    query = select(AuthSession).where(
        AuthSession.tenant_id == tenant_id, AuthSession.id == session_id
    )
    return session.scalars(query.with_for_update() if for_update else query).one_or_none()


@dataclass(frozen=True)
class AccessState:
    """What a request with an access token is checked against: its session and its user now."""

    session_revoked: bool
    role: Role
    is_active: bool
    platform_admin: bool
    mfa_enabled: bool
    tenant_settings: dict[str, Any]


# Built once: every request runs it, and composing the statement costs more than running it.
_ACCESS_STATE = (
    select(
        AuthSession.revoked_at,
        User.role,
        User.is_active,
        User.is_platform_admin,
        User.mfa_enabled,
        Tenant.settings,
    )
    .join(User, (User.id == AuthSession.user_id) & (User.tenant_id == AuthSession.tenant_id))
    .join(Tenant, Tenant.id == AuthSession.tenant_id)
    .where(
        Tenant.deleted_at.is_(None),
        AuthSession.tenant_id == bindparam("tenant_id"),
        AuthSession.id == bindparam("session_id"),
        AuthSession.user_id == bindparam("user_id"),
    )
)


def access_state(
    session: Session, tenant_id: uuid.UUID, session_id: uuid.UUID, user_id: uuid.UUID
) -> AccessState | None:
    """The session's state, its user's role and flags, and the tenant's settings, in one
    query by primary keys; None if there is no such session of that user."""
    row = session.execute(
        _ACCESS_STATE, {"tenant_id": tenant_id, "session_id": session_id, "user_id": user_id}
    ).one_or_none()
    if row is None:
        return None
    return AccessState(
        session_revoked=row.revoked_at is not None,
        role=row.role,
        is_active=row.is_active,
        platform_admin=row.is_platform_admin,
        mfa_enabled=row.mfa_enabled,
        tenant_settings=dict(row.settings or {}),
    )


def revoke_session(
    session: Session, tenant_id: uuid.UUID, session_id: uuid.UUID, now: datetime
) -> None:
    """End one session: its row and every refresh token of its family."""
    session.execute(
        update(AuthSession)
        .where(
            AuthSession.tenant_id == tenant_id,
            AuthSession.id == session_id,
            AuthSession.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    session.execute(
        update(RefreshToken)
        .where(
            RefreshToken.tenant_id == tenant_id,
            RefreshToken.family_id == session_id,
            RefreshToken.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )


def revoke_user_sessions(
    session: Session,
    tenant_id: uuid.UUID,
    user_id: uuid.UUID,
    now: datetime,
    *,
    keep: uuid.UUID | None = None,
) -> None:
    """End every session of the user (but `keep`, if given) and their refresh tokens."""
    sessions = update(AuthSession).where(
        AuthSession.tenant_id == tenant_id,
        AuthSession.user_id == user_id,
        AuthSession.revoked_at.is_(None),
    )
    tokens = update(RefreshToken).where(
        RefreshToken.tenant_id == tenant_id,
        RefreshToken.user_id == user_id,
        RefreshToken.revoked_at.is_(None),
    )
    if keep is not None:
        sessions = sessions.where(AuthSession.id != keep)
        tokens = tokens.where(RefreshToken.family_id != keep)
    session.execute(sessions.values(revoked_at=now))
    session.execute(tokens.values(revoked_at=now))


def revoke_user_keys(
    session: Session, tenant_id: uuid.UUID, user_id: uuid.UUID, now: datetime
) -> list[uuid.UUID]:
    """Revoke every live API key the user owns; the ids revoked."""
    return list(
        session.scalars(
            update(ApiKey)
            .where(
                ApiKey.tenant_id == tenant_id,
                ApiKey.created_by_id == user_id,
                ApiKey.revoked_at.is_(None),
            )
            .values(revoked_at=now)
            .returning(ApiKey.id)
        )
    )


def reset_token_by_hash(
    session: Session, tenant_id: uuid.UUID, digest: str
) -> PasswordResetToken | None:
    return session.scalars(
        select(PasswordResetToken)
        .where(PasswordResetToken.tenant_id == tenant_id, PasswordResetToken.token_hash == digest)
        .with_for_update()
    ).one_or_none()


def invitation_by_hash(session: Session, tenant_id: uuid.UUID, digest: str) -> Invitation | None:
    return session.scalars(
        select(Invitation)
        .where(Invitation.tenant_id == tenant_id, Invitation.token_hash == digest)
        .with_for_update()
    ).one_or_none()


def invitations(session: Session, tenant_id: uuid.UUID) -> list[Invitation]:
    return list(
        session.scalars(
            select(Invitation)
            .where(Invitation.tenant_id == tenant_id)
            .order_by(Invitation.created_at.desc())
        )
    )


def invitation(
    session: Session, tenant_id: uuid.UUID, invitation_id: uuid.UUID
) -> Invitation | None:
    return session.scalars(
        select(Invitation).where(Invitation.tenant_id == tenant_id, Invitation.id == invitation_id)
    ).one_or_none()


def api_keys(session: Session, tenant_id: uuid.UUID) -> list[ApiKey]:
    return list(
        session.scalars(
            select(ApiKey).where(ApiKey.tenant_id == tenant_id).order_by(ApiKey.created_at.desc())
        )
    )


def api_key_by_hash(
    session: Session, tenant_id: uuid.UUID, digest: str
) -> tuple[ApiKey, User | None] | None:
    """The key with this secret hash and its owner (None if it has none), in one query."""
    row = session.execute(
        select(ApiKey, User)
        .outerjoin(User, (User.id == ApiKey.created_by_id) & (User.tenant_id == ApiKey.tenant_id))
        .join(Tenant, Tenant.id == ApiKey.tenant_id)
        .where(
            Tenant.deleted_at.is_(None),
            ApiKey.tenant_id == tenant_id,
            ApiKey.secret_hash == digest,
        )
    ).one_or_none()
    return None if row is None else (row[0], row[1])


def api_key(session: Session, tenant_id: uuid.UUID, key_id: uuid.UUID) -> ApiKey | None:
    return session.scalars(
        select(ApiKey).where(ApiKey.tenant_id == tenant_id, ApiKey.id == key_id)
    ).one_or_none()
