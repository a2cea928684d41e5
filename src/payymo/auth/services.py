"""User use cases (sign-in, sessions and API keys arrive with the API gateway)."""

from __future__ import annotations

import re
import uuid

from sqlalchemy.exc import IntegrityError

from payymo.audit.services import Actor, record
from payymo.auth.models import User
from payymo.auth.passwords import hash_password, validate_password
from payymo.auth.roles import Role
from payymo.db import Database
from payymo.errors import Conflict, FieldError, NotFound, ValidationFailed
from payymo.tenants import repository as tenants

_EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{2,63}$")


def normalize_email(email: str) -> str:
    return email.strip().lower()


def valid_email(email: str) -> bool:
    return bool(_EMAIL_RE.match(email))


def create_user(
    db: Database,
    *,
    tenant_id: uuid.UUID,
    email: str,
    password: str,
    role: Role,
    full_name: str = "",
    actor: Actor | None = None,
) -> User:
    """Create a user in `tenant_id` with an argon2id password hash; emails are unique per tenant."""
    email = normalize_email(email)
    errors = []
    if not valid_email(email):
        errors.append(FieldError("email", "not a valid email address"))
    if problem := validate_password(password):
        errors.append(FieldError("password", problem))
    if errors:
        raise ValidationFailed(detail="invalid user", errors=errors)
    password_hash = hash_password(password)
    try:
        with db.unit_of_work(tenant_id) as session:
            if tenants.get(session, tenant_id) is None:
                raise NotFound(detail="no such tenant")
            user = User(
                tenant_id=tenant_id,
                email=email,
                full_name=full_name.strip(),
                role=role,
                password_hash=password_hash,
            )
            session.add(user)
            session.flush()
            record(
                session,
                tenant_id=tenant_id,
                actor=actor or Actor.system("cli"),
                action="user.created",
                object_type="user",
                object_id=user.id,
                after={"role": role.value},
            )
    except IntegrityError:
        raise Conflict(detail="a user with this email already exists in the tenant") from None
    return user
