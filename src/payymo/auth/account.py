"""The signed-in user's own account: profile, password, MFA."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from payymo.audit.services import Actor, record
from payymo.auth import mfa
from payymo.auth import repository as users_repo
from payymo.auth.models import User
from payymo.auth.passwords import hash_password, validate_password, verify_password
from payymo.errors import Conflict, FieldError, NotFound, ValidationFailed
from payymo.http import AppServices


def _me(session: Session, tenant_id: uuid.UUID, user_id: uuid.UUID) -> User:
    user = users_repo.user_by_id(session, tenant_id, user_id, for_update=True)
    if user is None or not user.is_active:
        raise NotFound(detail="no such user")
    return user


def get_me(app: AppServices, *, tenant_id: uuid.UUID, user_id: uuid.UUID) -> User:
    with app.db.unit_of_work(tenant_id) as session:
        return _me(session, tenant_id, user_id)


def update_me(
    app: AppServices, *, tenant_id: uuid.UUID, user_id: uuid.UUID, full_name: str
) -> User:
    """Change the user's display name."""
    with app.db.unit_of_work(tenant_id) as session:
        user = _me(session, tenant_id, user_id)
        user.full_name = full_name.strip()
        # No before/after: the audit log is append-only and outlives GDPR erasure, so it
        # must not hold the person's name.
        record(
            session,
            tenant_id=tenant_id,
            actor=Actor.user(user_id),
            action="user.updated",
            object_type="user",
            object_id=user_id,
        )
        return user


def change_password(
    app: AppServices,
    *,
    tenant_id: uuid.UUID,
    user_id: uuid.UUID,
    session_id: uuid.UUID | None,
    current: str,
    new: str,
) -> None:
    """Replace the password after checking the current one; every other session of the user
    ends at once (the one making the change, `session_id`, stays open)."""
    if problem := validate_password(new):
        raise ValidationFailed(
            detail="invalid password", errors=[FieldError("new_password", problem)]
        )
    with app.db.unit_of_work(tenant_id) as session:
        user = _me(session, tenant_id, user_id)
        if not verify_password(user.password_hash or "", current):
            raise ValidationFailed(
                detail="wrong password", errors=[FieldError("current_password", "is wrong")]
            )
        user.password_hash = hash_password(new)
        users_repo.revoke_user_sessions(
            session, tenant_id, user_id, app.clock.now(), keep=session_id
        )
        record(
            session,
            tenant_id=tenant_id,
            actor=Actor.user(user_id),
            action="user.password_changed",
            object_type="user",
            object_id=user_id,
        )


def setup_mfa(app: AppServices, *, tenant_id: uuid.UUID, user_id: uuid.UUID) -> mfa.Enrolment:
    """Start TOTP enrolment; it takes effect once `enable_mfa` confirms a code."""
    with app.db.unit_of_work(tenant_id) as session:
        user = _me(session, tenant_id, user_id)
        if user.mfa_enabled:
            raise Conflict(detail="MFA is already on; turn it off first to enrol a new device")
        return mfa.start_enrolment(user, app.box)


def enable_mfa(
    app: AppServices, *, tenant_id: uuid.UUID, user_id: uuid.UUID, otp: str
) -> list[str]:
    """Confirm enrolment with a current code; returns the one-time recovery codes."""
    with app.db.unit_of_work(tenant_id) as session:
        user = _me(session, tenant_id, user_id)
        if user.mfa_enabled or not user.mfa_secret_encrypted:
            raise Conflict(detail="start enrolment with POST /api/v1/me/mfa/setup first")
        if not mfa.accept_totp(user, app.box, otp, app.clock.now()):
            raise ValidationFailed(
                detail="wrong code", errors=[FieldError("otp", "does not match")]
            )
        user.mfa_enabled = True
        codes = mfa.new_recovery_codes(user)
        record(
            session,
            tenant_id=tenant_id,
            actor=Actor.user(user_id),
            action="user.mfa_enabled",
            object_type="user",
            object_id=user_id,
        )
        return codes


def disable_mfa(app: AppServices, *, tenant_id: uuid.UUID, user_id: uuid.UUID, otp: str) -> None:
    """Turn MFA off, proven with a current code."""
    with app.db.unit_of_work(tenant_id) as session:
        user = _me(session, tenant_id, user_id)
        if not user.mfa_enabled:
            raise Conflict(detail="MFA is not on")
        if not mfa.accept_totp(user, app.box, otp, app.clock.now()):
            raise ValidationFailed(
                detail="wrong code", errors=[FieldError("otp", "does not match")]
            )
        mfa.disable(user)
        record(
            session,
            tenant_id=tenant_id,
            actor=Actor.user(user_id),
            action="user.mfa_disabled",
            object_type="user",
            object_id=user_id,
        )
