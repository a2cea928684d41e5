"""Account API: the tenant's users, invitations and API keys."""

from __future__ import annotations

import uuid

from flask import Blueprint

from payymo.api.context import Ctx
from payymo.api.registry import endpoint
from payymo.auth import apikeys, members
from payymo.auth.principal import Permission
from payymo.auth.schemas import (
    ApiKeyCreatedOut,
    ApiKeyIn,
    ApiKeyList,
    ApiKeyOut,
    InvitationIn,
    InvitationList,
    InvitationOut,
    UserList,
    UserOut,
    UserUpdateIn,
)

users_bp = Blueprint("users", __name__, url_prefix="/api/v1/users")
invitations_bp = Blueprint("invitations", __name__, url_prefix="/api/v1/invitations")
api_keys_bp = Blueprint("api_keys", __name__, url_prefix="/api/v1/api-keys")


@endpoint(users_bp, "GET", "", summary="List users", permission=Permission.READ, response=UserList)
def list_users(ctx: Ctx) -> UserList:
    found = members.list_users(ctx.services, tenant_id=ctx.caller.tenant_id)
    return UserList(data=[UserOut.model_validate(u) for u in found])


@endpoint(
    users_bp,
    "GET",
    "/<uuid:user_id>",
    summary="One user",
    permission=Permission.READ,
    response=UserOut,
    resource="user",
)
def get_user(ctx: Ctx, user_id: uuid.UUID) -> UserOut:
    user = members.get_user(ctx.services, tenant_id=ctx.caller.tenant_id, user_id=user_id)
    return UserOut.model_validate(user)


@endpoint(
    users_bp,
    "PATCH",
    "/<uuid:user_id>",
    summary="Change a user's role or deactivate them",
    permission=Permission.ADMIN,
    body=UserUpdateIn,
    response=UserOut,
    resource="user",
)
def update_user(ctx: Ctx, user_id: uuid.UUID, body: UserUpdateIn) -> UserOut:
    user = members.update_user(
        ctx.services, caller=ctx.caller, user_id=user_id, role=body.role, is_active=body.is_active
    )
    return UserOut.model_validate(user)


@endpoint(
    users_bp,
    "DELETE",
    "/<uuid:user_id>",
    summary="Erase a user (GDPR)",
    permission=Permission.ADMIN,
    status=204,
    resource="user",
    description="Removes the person's data; audit entries keep the pseudonymous id.",
)
def erase_user(ctx: Ctx, user_id: uuid.UUID) -> None:
    members.erase_user(ctx.services, caller=ctx.caller, user_id=user_id)


@endpoint(
    invitations_bp,
    "GET",
    "",
    summary="List invitations",
    permission=Permission.ADMIN,
    response=InvitationList,
)
def list_invitations(ctx: Ctx) -> InvitationList:
    found = members.list_invitations(ctx.services, tenant_id=ctx.caller.tenant_id)
    return InvitationList(data=[InvitationOut.model_validate(i) for i in found])


@endpoint(
    invitations_bp,
    "POST",
    "",
    summary="Invite someone by email",
    permission=Permission.ADMIN,
    body=InvitationIn,
    response=InvitationOut,
    status=201,
)
def create_invitation(ctx: Ctx, body: InvitationIn) -> InvitationOut:
    invitation = members.invite(ctx.services, caller=ctx.caller, email=body.email, role=body.role)
    return InvitationOut.model_validate(invitation)


@endpoint(
    invitations_bp,
    "DELETE",
    "/<uuid:invitation_id>",
    summary="Revoke an invitation",
    permission=Permission.ADMIN,
    status=204,
    resource="invitation",
)
def revoke_invitation(ctx: Ctx, invitation_id: uuid.UUID) -> None:
    members.revoke_invitation(ctx.services, caller=ctx.caller, invitation_id=invitation_id)


@endpoint(
    api_keys_bp,
    "GET",
    "",
    summary="List API keys",
    permission=Permission.KEYS,
    response=ApiKeyList,
)
def list_api_keys(ctx: Ctx) -> ApiKeyList:
    found = apikeys.list_keys(ctx.services, tenant_id=ctx.caller.tenant_id)
    return ApiKeyList(data=[ApiKeyOut.model_validate(k) for k in found])


@endpoint(
    api_keys_bp,
    "POST",
    "",
    summary="Create an API key (its secret is shown once)",
    permission=Permission.KEYS,
    body=ApiKeyIn,
    response=ApiKeyCreatedOut,
    status=201,
)
def create_api_key(ctx: Ctx, body: ApiKeyIn) -> ApiKeyCreatedOut:
    created = apikeys.create_key(
        ctx.services,
        caller=ctx.caller,
        name=body.name,
        scopes=body.scopes,
        expires_at=body.expires_at,
    )
    summary = ApiKeyOut.model_validate(created.key)
    return ApiKeyCreatedOut(**summary.model_dump(), key=created.secret)


@endpoint(
    api_keys_bp,
    "GET",
    "/<uuid:key_id>",
    summary="One API key",
    permission=Permission.KEYS,
    response=ApiKeyOut,
    resource="api_key",
)
def get_api_key(ctx: Ctx, key_id: uuid.UUID) -> ApiKeyOut:
    key = apikeys.get_key(ctx.services, tenant_id=ctx.caller.tenant_id, key_id=key_id)
    return ApiKeyOut.model_validate(key)


@endpoint(
    api_keys_bp,
    "DELETE",
    "/<uuid:key_id>",
    summary="Revoke an API key",
    permission=Permission.KEYS,
    response=ApiKeyOut,
    resource="api_key",
)
def revoke_api_key(ctx: Ctx, key_id: uuid.UUID) -> ApiKeyOut:
    key = apikeys.revoke_key(
        ctx.services, tenant_id=ctx.caller.tenant_id, actor=ctx.caller.actor, key_id=key_id
    )
    return ApiKeyOut.model_validate(key)
