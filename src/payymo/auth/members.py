"""Managing a tenant's users: roles, deactivation, GDPR erasure, and invitations."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from payymo.audit.services import Actor, record
from payymo.auth import mfa
from payymo.auth import repository as users_repo
from payymo.auth.models import Invitation, User
from payymo.auth.passwords import hash_password, validate_password
from payymo.auth.principal import ROLE_PERMISSIONS, Permission, Principal
from payymo.auth.roles import Role
from payymo.auth.services import normalize_email, valid_email
from payymo.auth.tokens import new_opaque_token, parse_opaque_token, token_hash
from payymo.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from payymo.http import AppServices
from payymo.mail import Mail

INVITE_KIND = "inv"
INVITE_LIFETIME = timedelta(days=7)
INVALID_INVITE = "the invitation is invalid, used or expired"


def list_users(app: AppServices, *, tenant_id: uuid.UUID) -> list[User]:
    with app.db.unit_of_work(tenant_id) as session:
        return users_repo.users(session, tenant_id)


def get_user(app: AppServices, *, tenant_id: uuid.UUID, user_id: uuid.UUID) -> User:
    with app.db.unit_of_work(tenant_id) as session:
        return _user(session, tenant_id, user_id)


def _user(session: Session, tenant_id: uuid.UUID, user_id: uuid.UUID) -> User:
    user = users_repo.user_by_id(session, tenant_id, user_id, for_update=True)
    if user is None:
        raise NotFound(detail="no such user")
    return user


def _guard_grant(caller: Principal, role: Role) -> None:
    """Nobody grants a role that can do more than they can (a key with the `admin` scope alone
    cannot make an admin, who could read invoices)."""
    if role is Role.OWNER and not caller.can(Permission.OWNER):
        raise Forbidden(detail="only an owner can grant the owner role")
    if not caller.can_grant(ROLE_PERMISSIONS[role]):
        missing = sorted(p.value for p in ROLE_PERMISSIONS[role] - caller.permissions)
        raise Forbidden(
            detail=f"the {role.value} role can do more than the caller can: {', '.join(missing)}",
            errors=[FieldError("role", f"needs what the caller lacks: {', '.join(missing)}")],
        )


def _end_access(session: Session, user: User, now: datetime) -> dict[str, int]:
    """End every session of the user and revoke the API keys they own."""
    users_repo.revoke_user_sessions(session, user.tenant_id, user.id, now)
    return {
        "api_keys_revoked": len(users_repo.revoke_user_keys(session, user.tenant_id, user.id, now))
    }


def _guard_owner_change(
    caller: Principal, session: Session, user: User, role: Role | None, active: bool | None
) -> None:
    touches_owner = user.role is Role.OWNER or role is Role.OWNER
    if touches_owner and not caller.can(Permission.OWNER):
        raise Forbidden(detail="only an owner can grant or change the owner role")
    losing_owner = user.role is Role.OWNER and (
        (role is not None and role is not Role.OWNER) or active is False
    )
    if losing_owner and users_repo.count_active_owners(session, user.tenant_id) <= 1:
        raise Conflict(detail="a tenant keeps at least one active owner")


def update_user(
    app: AppServices,
    *,
    caller: Principal,
    user_id: uuid.UUID,
    role: Role | None,
    is_active: bool | None,
) -> User:
    """Change a user's role or deactivate them; the last owner cannot be demoted."""
    with app.db.unit_of_work(caller.tenant_id) as session:
        user = _user(session, caller.tenant_id, user_id)
        _guard_owner_change(caller, session, user, role, is_active)
        if role is not None and role is not user.role:
            _guard_grant(caller, role)
        before = {"role": user.role.value, "is_active": user.is_active}
        ended: dict[str, int] = {}
        if role is not None:
            user.role = role  # every request reads the role, so this applies at once
        if is_active is not None:
            if user.is_active and not is_active:
                ended = _end_access(session, user, app.clock.now())
            user.is_active = is_active
        record(
            session,
            tenant_id=caller.tenant_id,
            actor=caller.actor,
            action="user.updated",
            object_type="user",
            object_id=user.id,
            before=before,
            after={"role": user.role.value, "is_active": user.is_active, **ended},
        )
        return user


def erase_user(app: AppServices, *, caller: Principal, user_id: uuid.UUID) -> None:
    """GDPR erasure: remove the person's data, keep the id so audit entries stay pseudonymous."""
    with app.db.unit_of_work(caller.tenant_id) as session:
        user = _user(session, caller.tenant_id, user_id)
        if user.erased_at is not None:
            raise NotFound(detail="no such user")
        _guard_owner_change(caller, session, user, None, False)
        now = app.clock.now()
        erased_email = f"erased-{user.id.hex}@erased.invalid"
        for invitation in users_repo.invitations(session, caller.tenant_id):
            if invitation.email == user.email:  # the invitation would keep the address
                invitation.email = erased_email
        user.email = erased_email
        user.full_name, user.password_hash, user.is_active = "", None, False
        user.erased_at = now
        mfa.disable(user)
        ended = _end_access(session, user, now)
        record(
            session,
            tenant_id=caller.tenant_id,
            actor=caller.actor,
            action="user.erased",
            object_type="user",
            object_id=user.id,
            after=ended,
        )


def invite(app: AppServices, *, caller: Principal, email: str, role: Role) -> Invitation:
    """Email an invitation to join the tenant with `role`."""
    address = normalize_email(email)
    if not valid_email(address):
        raise ValidationFailed(
            detail="invalid invitation", errors=[FieldError("email", "not a valid email address")]
        )
    _guard_grant(caller, role)
    token = new_opaque_token(INVITE_KIND, caller.tenant_id)
    with app.db.unit_of_work(caller.tenant_id) as session:
        if users_repo.user_by_email(session, caller.tenant_id, address):
            raise Conflict(detail="a user with this email already exists in the tenant")
        invitation = Invitation(
            tenant_id=caller.tenant_id,
            email=address,
            role=role,
            token_hash=token_hash(token),
            invited_by_id=caller.owning_user,
            expires_at=app.clock.now() + INVITE_LIFETIME,
        )
        session.add(invitation)
        session.flush()
        record(
            session,
            tenant_id=caller.tenant_id,
            actor=caller.actor,
            action="invitation.created",
            object_type="invitation",
            object_id=invitation.id,
            after={"role": role.value},
        )
    link = f"{app.settings.public_url.rstrip('/')}/accept-invitation?token={token}"
    app.mailer.send(
        Mail(
            address,
            "You are invited to Payymo",
            f"You have been invited to Payymo as {role.value}.\n\n{link}\n\n"
            "The link works once and expires in 7 days.",
        )
    )
    return invitation


def list_invitations(app: AppServices, *, tenant_id: uuid.UUID) -> list[Invitation]:
    with app.db.unit_of_work(tenant_id) as session:
        return users_repo.invitations(session, tenant_id)


def revoke_invitation(app: AppServices, *, caller: Principal, invitation_id: uuid.UUID) -> None:
    with app.db.unit_of_work(caller.tenant_id) as session:
        invitation = users_repo.invitation(session, caller.tenant_id, invitation_id)
        if invitation is None:
            raise NotFound(detail="no such invitation")
        if invitation.accepted_at or invitation.revoked_at:
            raise Conflict(detail="the invitation was already used or revoked")
        invitation.revoked_at = app.clock.now()
        record(
            session,
            tenant_id=caller.tenant_id,
            actor=caller.actor,
            action="invitation.revoked",
            object_type="invitation",
            object_id=invitation.id,
        )


def accept_invitation(app: AppServices, *, token: str, full_name: str, password: str) -> User:
    """Create the invited user; the invitation cannot be used again."""
    if problem := validate_password(password):
        raise ValidationFailed(detail="invalid password", errors=[FieldError("password", problem)])
    parsed = parse_opaque_token(token, INVITE_KIND)
    if parsed is None:
        raise ValidationFailed(detail=INVALID_INVITE, errors=[FieldError("token", INVALID_INVITE)])
    now = app.clock.now()
    try:
        with app.db.unit_of_work(parsed.tenant_id) as session:
            invitation = users_repo.invitation_by_hash(session, parsed.tenant_id, parsed.hash)
            if (
                not invitation
                or invitation.accepted_at
                or invitation.revoked_at
                or invitation.expires_at <= now
            ):
                raise ValidationFailed(
                    detail=INVALID_INVITE, errors=[FieldError("token", INVALID_INVITE)]
                )
            invitation.accepted_at = now
            user = User(
                tenant_id=invitation.tenant_id,
                email=invitation.email,
                role=invitation.role,
                full_name=full_name.strip(),
                password_hash=hash_password(password),
            )
            session.add(user)
            session.flush()
            record(
                session,
                tenant_id=user.tenant_id,
                actor=Actor.user(user.id),
                action="invitation.accepted",
                object_type="user",
                object_id=user.id,
                after={"role": user.role.value},
            )
            return user
    except IntegrityError:
        raise Conflict(detail="a user with this email already exists in the tenant") from None
