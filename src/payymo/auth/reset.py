"""Password reset by an emailed, single-use, one-hour token."""

from __future__ import annotations

from datetime import timedelta

from payymo.audit.services import Actor, record
from payymo.auth import repository as users_repo
from payymo.auth.models import PasswordResetToken
from payymo.auth.passwords import hash_password, validate_password
from payymo.auth.tokens import new_opaque_token, parse_opaque_token, token_hash
from payymo.errors import FieldError, ValidationFailed
from payymo.http import AppServices
from payymo.mail import Mail
from payymo.tenants import repository as tenants_repo

RESET_KIND = "prt"
RESET_LIFETIME = timedelta(hours=1)
INVALID = "the reset link is invalid or has expired"


def request_reset(app: AppServices, *, workspace: str, email: str) -> None:
    """Email a reset link if the account exists; answer the same either way (no enumeration)."""
    now = app.clock.now()
    with app.db.unit_of_work() as session:
        tenant = tenants_repo.find_by_slug(session, workspace.strip().lower())
        user = tenant and users_repo.user_by_email(session, tenant.id, email.strip().lower())
        if not tenant or not user or not user.is_active:
            return
        token = new_opaque_token(RESET_KIND, user.tenant_id)
        session.add(
            PasswordResetToken(
                tenant_id=user.tenant_id,
                user_id=user.id,
                token_hash=token_hash(token),
                expires_at=now + RESET_LIFETIME,
            )
        )
        record(
            session,
            tenant_id=user.tenant_id,
            actor=Actor.system("auth"),
            action="user.password_reset_requested",
            object_type="user",
            object_id=user.id,
        )
        recipient = user.email
    link = f"{app.settings.public_url.rstrip('/')}/reset-password?token={token}"
    app.mailer.send(
        Mail(
            recipient,
            "Reset your Payymo password",
            f"Someone asked to reset your Payymo password.\n\n{link}\n\n"
            "The link works once, for one hour. If it wasn't you, ignore this.",
        )
    )


def complete_reset(app: AppServices, *, token: str, password: str) -> None:
    """Set a new password with a valid token; all of the user's sessions are revoked."""
    if problem := validate_password(password):
        raise ValidationFailed(detail="invalid password", errors=[FieldError("password", problem)])
    parsed = parse_opaque_token(token, RESET_KIND)
    if parsed is None:
        raise ValidationFailed(detail=INVALID, errors=[FieldError("token", INVALID)])
    now = app.clock.now()
    with app.db.unit_of_work(parsed.tenant_id) as session:
        stored = users_repo.reset_token_by_hash(session, parsed.tenant_id, parsed.hash)
        user = stored and users_repo.user_by_id(session, stored.tenant_id, stored.user_id)
        if not stored or not user or stored.used_at or stored.expires_at <= now:
            raise ValidationFailed(detail=INVALID, errors=[FieldError("token", INVALID)])
        stored.used_at = now
        user.password_hash = hash_password(password)
        user.failed_login_count, user.locked_until = 0, None
        users_repo.revoke_user_sessions(session, user.tenant_id, user.id, now)
        record(
            session,
            tenant_id=user.tenant_id,
            actor=Actor.user(user.id),
            action="user.password_reset",
            object_type="user",
            object_id=user.id,
        )
