"""Who is calling: a signed-in user or an API key, with what they may do."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum

from payymo.audit.models import ActorType
from payymo.audit.services import Actor
from payymo.auth.roles import Role


class Permission(StrEnum):
    READ = "read"
    RECONCILE = "reconcile"
    ADMIN = "admin"
    KEYS = "keys"  # creating and revoking API keys
    OWNER = "owner"
    PLATFORM = "platform"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.VIEWER: frozenset({Permission.READ}),
    Role.ACCOUNTANT: frozenset({Permission.READ, Permission.RECONCILE}),
    Role.ADMIN: frozenset(
        {Permission.READ, Permission.RECONCILE, Permission.ADMIN, Permission.KEYS}
    ),
    Role.OWNER: frozenset(
        {Permission.READ, Permission.RECONCILE, Permission.ADMIN, Permission.KEYS, Permission.OWNER}
    ),
}


class ApiKeyScope(StrEnum):
    READ = "read"
    RECONCILE = "reconcile"
    ADMIN = "admin"
    KEYS = "keys"


SCOPE_PERMISSIONS: dict[ApiKeyScope, Permission] = {
    ApiKeyScope.READ: Permission.READ,
    ApiKeyScope.RECONCILE: Permission.RECONCILE,
    ApiKeyScope.ADMIN: Permission.ADMIN,
    ApiKeyScope.KEYS: Permission.KEYS,
}


@dataclass(frozen=True)
class Principal:
    tenant_id: uuid.UUID
    kind: ActorType  # USER or API_KEY
    id: uuid.UUID
    permissions: frozenset[Permission]
    role: Role | None = None
    limited: bool = False
    session_id: uuid.UUID | None = None  # a user's: the sign-in session the token belongs to
    owner_id: uuid.UUID | None = None  # an API key's: the user it belongs to

    @property
    def actor(self) -> Actor:
        return Actor(self.kind, str(self.id))

    @property
    def user_id(self) -> uuid.UUID | None:
        return self.id if self.kind is ActorType.USER else None

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    def can_grant(self, permissions: frozenset[Permission]) -> bool:
        """Whether the caller holds every one of `permissions`: nobody grants (a key scope,
        a role) more than they hold themselves."""
        return permissions <= self.permissions

    @property
    def owning_user(self) -> uuid.UUID | None:
        """The user answerable for what this principal creates: the user, or a key's owner."""
        return self.id if self.kind is ActorType.USER else self.owner_id


def user_permissions(role: Role, *, platform_admin: bool) -> frozenset[Permission]:
    granted = ROLE_PERMISSIONS[role]
    return granted | {Permission.PLATFORM} if platform_admin else granted


def scope_permissions(scopes: list[ApiKeyScope]) -> frozenset[Permission]:
    return frozenset(SCOPE_PERMISSIONS[scope] for scope in scopes)


def key_permissions(scopes: list[str]) -> frozenset[Permission]:
    known = {scope.value for scope in ApiKeyScope}
    return frozenset(SCOPE_PERMISSIONS[ApiKeyScope(s)] for s in scopes if s in known)
