"""Queries for users and their credentials; every one is scoped to a tenant."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from payymo.auth.models import ApiKey, Invitation, PasswordResetToken, RefreshToken, User
from payymo.auth.roles import Role


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


def revoke_family(
    session: Session, tenant_id: uuid.UUID, family_id: uuid.UUID, now: datetime
) -> None:
    session.execute(
        update(RefreshToken)
        .where(
            RefreshToken.tenant_id == tenant_id,
            RefreshToken.family_id == family_id,
            RefreshToken.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )


def revoke_user_sessions(
    session: Session, tenant_id: uuid.UUID, user_id: uuid.UUID, now: datetime
) -> None:
    session.execute(
        update(RefreshToken)
        .where(
            RefreshToken.tenant_id == tenant_id,
            RefreshToken.user_id == user_id,
            RefreshToken.revoked_at.is_(None),
        )
        .values(revoked_at=now)
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


def api_key(session: Session, tenant_id: uuid.UUID, key_id: uuid.UUID) -> ApiKey | None:
    return session.scalars(
        select(ApiKey).where(ApiKey.tenant_id == tenant_id, ApiKey.id == key_id)
    ).one_or_none()
