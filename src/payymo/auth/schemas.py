"""Request and response models of the authentication and account endpoints."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field

from payymo.api.schemas import ApiModel
from payymo.auth.principal import ApiKeyScope
from payymo.auth.roles import Role

Email = Field(min_length=3, max_length=320)
Password = Field(min_length=1, max_length=1024)


class LoginIn(ApiModel):
    workspace: str = Field(min_length=1, max_length=63, description="The tenant's slug")
    email: str = Email
    password: str = Password
    otp: str | None = Field(default=None, max_length=10, description="TOTP code, if MFA is on")
    recovery_code: str | None = Field(default=None, max_length=32)


class UserOut(ApiModel):
    id: uuid.UUID
    email: str
    full_name: str
    role: Role
    is_active: bool
    mfa_enabled: bool
    last_login_at: datetime | None
    created_at: datetime


class SessionOut(ApiModel):
    access_token: str
    token_type: str = "Bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_at: datetime
    user_id: uuid.UUID
    tenant_id: uuid.UUID
    workspace: str
    role: Role
    mfa_enrolment_required: bool = Field(
        description="True: this token only allows MFA enrolment (tenant policy)"
    )


class PasswordResetRequestIn(ApiModel):
    workspace: str = Field(min_length=1, max_length=63)
    email: str = Email


class PasswordResetIn(ApiModel):
    token: str = Field(min_length=1, max_length=200)
    password: str = Password


class AcceptedOut(ApiModel):
    status: str = "accepted"


class MeUpdateIn(ApiModel):
    full_name: str = Field(max_length=200)


class PasswordChangeIn(ApiModel):
    current_password: str = Password
    new_password: str = Password


class MfaSetupOut(ApiModel):
    secret: str
    otpauth_uri: str


class MfaCodeIn(ApiModel):
    otp: str = Field(min_length=6, max_length=10)


class RecoveryCodesOut(ApiModel):
    recovery_codes: list[str]


class ApiKeyIn(ApiModel):
    name: str = Field(min_length=1, max_length=200)
    scopes: list[ApiKeyScope] = Field(
        min_length=1,
        max_length=len(ApiKeyScope),
        description="At most the caller's own: a key or user grants only scopes it holds. "
        "`keys` lets the key create and revoke keys.",
    )
    expires_at: datetime | None = None


class ApiKeyOut(ApiModel):
    id: uuid.UUID
    name: str
    prefix: str
    scopes: list[ApiKeyScope]
    created_by_id: uuid.UUID | None = Field(
        description="The user the key belongs to: it can do at most what their role allows, "
        "and it is revoked when they are deactivated or erased."
    )
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreatedOut(ApiKeyOut):
    key: str = Field(description="The secret key; shown only this once")


class ApiKeyList(ApiModel):
    data: list[ApiKeyOut]


class UserList(ApiModel):
    data: list[UserOut]


class UserUpdateIn(ApiModel):
    role: Role | None = None
    is_active: bool | None = None


class InvitationIn(ApiModel):
    email: str = Email
    role: Role


class InvitationOut(ApiModel):
    id: uuid.UUID
    email: str
    role: Role
    expires_at: datetime
    accepted_at: datetime | None
    revoked_at: datetime | None
    created_at: datetime


class InvitationList(ApiModel):
    data: list[InvitationOut]


class InvitationAcceptIn(ApiModel):
    token: str = Field(min_length=1, max_length=200)
    full_name: str = Field(default="", max_length=200)
    password: str = Password
