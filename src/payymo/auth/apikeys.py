"""API keys: created with scopes, shown once, stored as a hash, revocable."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from payymo.audit.services import Actor, record
from payymo.auth import repository as users_repo
from payymo.auth.authenticate import API_KEY_KIND
from payymo.auth.models import ApiKey
from payymo.auth.principal import ApiKeyScope, Principal, scope_permissions
from payymo.auth.tokens import new_opaque_token, parse_opaque_token
from payymo.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from payymo.http import AppServices


@dataclass(frozen=True)
class CreatedKey:
    key: ApiKey
    secret: str


def create_key(
    app: AppServices,
    *,
    caller: Principal,
    name: str,
    scopes: list[ApiKeyScope],
    expires_at: datetime | None,
) -> CreatedKey:
    """Create a key owned by the caller (a key's key is owned by that key's owner), with no
    scope the caller lacks; its secret is returned here and never again."""
    tenant_id, owner = caller.tenant_id, caller.owning_user
    lacking = sorted(s.value for s in scopes if not caller.can_grant(scope_permissions([s])))
    if lacking:
        raise Forbidden(
            detail=f"a key cannot get scopes its creator lacks: {', '.join(lacking)}",
            errors=[FieldError("scopes", f"not held by the caller: {', '.join(lacking)}")],
        )
    if owner is None:  # a principal always has one; refuse rather than mint an ownerless key
        raise Forbidden(detail="only a member or a member's key can create keys")
    if expires_at is not None and expires_at <= app.clock.now():
        raise ValidationFailed(
            detail="invalid key", errors=[FieldError("expires_at", "must be in the future")]
        )
    secret = new_opaque_token(API_KEY_KIND, tenant_id)
    parsed = parse_opaque_token(secret, API_KEY_KIND)
    assert parsed is not None  # noqa: S101 - we just built it in that format
    with app.db.unit_of_work(tenant_id) as session:
        key = ApiKey(
            tenant_id=tenant_id,
            name=name.strip(),
            prefix=f"{API_KEY_KIND}_{parsed.rest[:8]}",
            secret_hash=parsed.hash,
            scopes=sorted({s.value for s in scopes}),
            created_by_id=owner,
            expires_at=expires_at,
        )
        session.add(key)
        session.flush()
        record(
            session,
            tenant_id=tenant_id,
            actor=caller.actor,
            action="api_key.created",
            object_type="api_key",
            object_id=key.id,
            after={"name": key.name, "scopes": key.scopes, "owner": str(owner)},
        )
        return CreatedKey(key, secret)


def list_keys(app: AppServices, *, tenant_id: uuid.UUID) -> list[ApiKey]:
    with app.db.unit_of_work(tenant_id) as session:
        return users_repo.api_keys(session, tenant_id)


def get_key(app: AppServices, *, tenant_id: uuid.UUID, key_id: uuid.UUID) -> ApiKey:
    with app.db.unit_of_work(tenant_id) as session:
        key = users_repo.api_key(session, tenant_id, key_id)
        if key is None:
            raise NotFound(detail="no such API key")
        return key


def revoke_key(
    app: AppServices, *, tenant_id: uuid.UUID, actor: Actor, key_id: uuid.UUID
) -> ApiKey:
    """Revoke a key at once; a revoked key cannot be revived."""
    with app.db.unit_of_work(tenant_id) as session:
        key = users_repo.api_key(session, tenant_id, key_id)
        if key is None:
            raise NotFound(detail="no such API key")
        if key.revoked_at is not None:
            raise Conflict(detail="the key is already revoked")
        key.revoked_at = app.clock.now()
        record(
            session,
            tenant_id=tenant_id,
            actor=actor,
            action="api_key.revoked",
            object_type="api_key",
            object_id=key.id,
        )
        return key
