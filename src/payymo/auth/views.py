"""Sign-in, sessions, password reset, invitation acceptance, and the caller's own account."""

from __future__ import annotations

import uuid

from flask import Blueprint, Response, request

from payymo.api.context import Ctx
from payymo.api.registry import Limit, endpoint
from payymo.auth import account, members, reset, sessions
from payymo.auth.principal import Permission
from payymo.auth.schemas import (
    AcceptedOut,
    InvitationAcceptIn,
    LoginIn,
    MeUpdateIn,
    MfaCodeIn,
    MfaSetupOut,
    PasswordChangeIn,
    PasswordResetIn,
    PasswordResetRequestIn,
    RecoveryCodesOut,
    SessionOut,
    UserOut,
)
from payymo.errors import Forbidden

REFRESH_COOKIE = "payymo_refresh"
COOKIE_PATH = "/api/v1/auth"

auth_bp = Blueprint("auth", __name__, url_prefix="/api/v1/auth")
me_bp = Blueprint("me", __name__, url_prefix="/api/v1/me")


def _clear_refresh_cookie(response: Response) -> None:
    response.delete_cookie(
        REFRESH_COOKIE, path=COOKIE_PATH, secure=True, httponly=True, samesite="Strict"
    )


def _session_response(signed: sessions.SignedIn) -> Response:
    body = SessionOut(
        access_token=signed.access_token,
        expires_at=signed.access_expires_at,
        user_id=signed.user_id,
        tenant_id=signed.tenant_id,
        workspace=signed.tenant_slug,
        role=signed.role,
        mfa_enrolment_required=signed.mfa_enrolment_required,
    )
    response = Response(body.model_dump_json(), mimetype="application/json")
    if signed.refresh_token and signed.refresh_expires_at:
        response.set_cookie(
            REFRESH_COOKIE,
            signed.refresh_token,
            expires=signed.refresh_expires_at,
            path=COOKIE_PATH,
            secure=True,
            httponly=True,
            samesite="Strict",
        )
    elif REFRESH_COOKIE in request.cookies:  # a limited session has none; drop the spent one
        _clear_refresh_cookie(response)
    return response


@endpoint(
    auth_bp,
    "POST",
    "/login",
    summary="Sign in",
    permission=None,
    body=LoginIn,
    response=SessionOut,
    limit=Limit.AUTH,
    description="Returns a 15-minute access token and sets the rotating refresh-token "
    "cookie. 401 `mfa-required` asks for `otp`, 401 `mfa-invalid` says the code is wrong; "
    "429 means locked out (Retry-After).",
)
def login(ctx: Ctx, body: LoginIn) -> Response:
    credentials = sessions.Credentials(
        body.workspace, body.email, body.password, body.otp, body.recovery_code
    )
    return _session_response(sessions.login(ctx.services, credentials, user_agent=ctx.user_agent))


@endpoint(
    auth_bp,
    "POST",
    "/refresh",
    summary="Rotate the refresh token",
    permission=None,
    response=SessionOut,
    limit=Limit.AUTH,
    description="Spends the refresh-token cookie for a new access token and cookie.",
)
def refresh(ctx: Ctx) -> Response:
    token = request.cookies.get(REFRESH_COOKIE, "")
    return _session_response(sessions.refresh(ctx.services, token, user_agent=ctx.user_agent))


@endpoint(
    auth_bp,
    "POST",
    "/logout",
    summary="Sign out",
    permission=None,
    status=204,
    limit=Limit.AUTH,
    description="Ends the session of the refresh-token cookie and of the access token in "
    "`Authorization`, whichever are sent: from the next request on, no access token or "
    "refresh token of that session works.",
)
def logout(ctx: Ctx) -> Response:
    scheme, _, access = request.headers.get("Authorization", "").partition(" ")
    sessions.logout(
        ctx.services,
        request.cookies.get(REFRESH_COOKIE, ""),
        access_token=access.strip() if scheme.lower() == "bearer" else "",
    )
    response = Response(status=204)
    _clear_refresh_cookie(response)
    return response


@endpoint(
    auth_bp,
    "POST",
    "/password-reset/request",
    summary="Email a password-reset link",
    permission=None,
    body=PasswordResetRequestIn,
    response=AcceptedOut,
    status=202,
    limit=Limit.AUTH,
)
def request_password_reset(ctx: Ctx, body: PasswordResetRequestIn) -> AcceptedOut:
    reset.request_reset(ctx.services, workspace=body.workspace, email=body.email)
    return AcceptedOut()


@endpoint(
    auth_bp,
    "POST",
    "/password-reset",
    summary="Set a new password with a reset token",
    permission=None,
    body=PasswordResetIn,
    status=204,
    limit=Limit.AUTH,
)
def complete_password_reset(ctx: Ctx, body: PasswordResetIn) -> None:
    reset.complete_reset(ctx.services, token=body.token, password=body.password)


@endpoint(
    auth_bp,
    "POST",
    "/invitations/accept",
    summary="Accept an invitation",
    permission=None,
    body=InvitationAcceptIn,
    response=UserOut,
    status=201,
    limit=Limit.AUTH,
)
def accept_invitation(ctx: Ctx, body: InvitationAcceptIn) -> UserOut:
    user = members.accept_invitation(
        ctx.services, token=body.token, full_name=body.full_name, password=body.password
    )
    return UserOut.model_validate(user)


def _user_id(ctx: Ctx) -> tuple[uuid.UUID, uuid.UUID]:
    caller = ctx.caller
    if caller.user_id is None:
        raise Forbidden(detail="this endpoint is for signed-in users, not API keys")
    return caller.tenant_id, caller.user_id


@endpoint(
    me_bp,
    "GET",
    "",
    summary="The signed-in user",
    permission=Permission.READ,
    response=UserOut,
    allow_limited=True,
)
def get_me(ctx: Ctx) -> UserOut:
    tenant_id, user_id = _user_id(ctx)
    return UserOut.model_validate(
        account.get_me(ctx.services, tenant_id=tenant_id, user_id=user_id)
    )


@endpoint(
    me_bp,
    "PATCH",
    "",
    summary="Update the signed-in user",
    permission=Permission.READ,
    body=MeUpdateIn,
    response=UserOut,
)
def update_me(ctx: Ctx, body: MeUpdateIn) -> UserOut:
    tenant_id, user_id = _user_id(ctx)
    user = account.update_me(
        ctx.services, tenant_id=tenant_id, user_id=user_id, full_name=body.full_name
    )
    return UserOut.model_validate(user)


@endpoint(
    me_bp,
    "POST",
    "/password",
    summary="Change password (signs out other sessions)",
    permission=Permission.READ,
    body=PasswordChangeIn,
    status=204,
)
def change_password(ctx: Ctx, body: PasswordChangeIn) -> None:
    tenant_id, user_id = _user_id(ctx)
    account.change_password(
        ctx.services,
        tenant_id=tenant_id,
        user_id=user_id,
        session_id=ctx.caller.session_id,
        current=body.current_password,
        new=body.new_password,
    )


@endpoint(
    me_bp,
    "POST",
    "/mfa/setup",
    summary="Start TOTP enrolment",
    permission=Permission.READ,
    response=MfaSetupOut,
    allow_limited=True,
)
def setup_mfa(ctx: Ctx) -> MfaSetupOut:
    tenant_id, user_id = _user_id(ctx)
    enrolment = account.setup_mfa(ctx.services, tenant_id=tenant_id, user_id=user_id)
    return MfaSetupOut(secret=enrolment.secret, otpauth_uri=enrolment.otpauth_uri)


@endpoint(
    me_bp,
    "POST",
    "/mfa/enable",
    summary="Confirm TOTP enrolment with a code",
    permission=Permission.READ,
    body=MfaCodeIn,
    response=RecoveryCodesOut,
    allow_limited=True,
)
def enable_mfa(ctx: Ctx, body: MfaCodeIn) -> RecoveryCodesOut:
    tenant_id, user_id = _user_id(ctx)
    codes = account.enable_mfa(ctx.services, tenant_id=tenant_id, user_id=user_id, otp=body.otp)
    return RecoveryCodesOut(recovery_codes=codes)


@endpoint(
    me_bp,
    "POST",
    "/mfa/disable",
    summary="Turn MFA off",
    permission=Permission.READ,
    body=MfaCodeIn,
    status=204,
)
def disable_mfa(ctx: Ctx, body: MfaCodeIn) -> None:
    tenant_id, user_id = _user_id(ctx)
    account.disable_mfa(ctx.services, tenant_id=tenant_id, user_id=user_id, otp=body.otp)
