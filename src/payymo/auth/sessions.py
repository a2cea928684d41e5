"""Signing in and out: passwords with lockout, the second factor, rotating refresh tokens.

Lockout: after `FREE_ATTEMPTS` wrong passwords in a row the account is locked for 30 s,
doubling with every further failure up to an hour; attempts during a lockout are refused with
429 and do not extend it.

A sign-in opens a session (`AuthSession`); every access token names it (`sid`) and every
request checks that it is still open and reads the user's role from the database, so signing
out, a password change or reset, deactivation and erasure end access at once. A refresh token
is single-use: refreshing spends it and issues the next one of the session's family;
presenting a spent token again ends the session (someone copied it). The tenant's MFA policy
is applied whenever an access token is issued, refreshes included.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from payymo.audit.services import Actor, record
from payymo.auth import mfa
from payymo.auth import repository as users_repo
from payymo.auth.models import AuthSession, RefreshToken, User
from payymo.auth.passwords import hash_password, verify_password
from payymo.auth.roles import Role
from payymo.auth.tokens import (
    issue_access_token,
    new_opaque_token,
    parse_opaque_token,
    token_hash,
    verify_access_token,
)
from payymo.errors import FieldError, MfaInvalid, MfaRequired, TooManyRequests, Unauthorized
from payymo.http import AppServices
from payymo.metrics import AUTH_FAILURES
from payymo.tenants import repository as tenants_repo

FREE_ATTEMPTS = 5
BASE_LOCKOUT = timedelta(seconds=30)
MAX_LOCKOUT = timedelta(hours=1)
REFRESH_KIND = "rt"
BAD_CREDENTIALS = "the workspace, email or password is wrong"
_CODE_NAMES = {"otp": "code from your authenticator app", "recovery_code": "recovery code"}
# Verified against when no user matches, so unknown emails take as long as wrong passwords.
_DUMMY_HASH = hash_password("payymo-timing-equaliser")


@dataclass(frozen=True)
class SignedIn:
    user_id: uuid.UUID
    tenant_id: uuid.UUID
    tenant_slug: str
    email: str
    role: Role
    access_token: str
    access_expires_at: datetime
    refresh_token: str | None  # None for a limited (MFA-enrolment-only) session
    refresh_expires_at: datetime | None
    mfa_enrolment_required: bool


@dataclass(frozen=True)
class Credentials:
    workspace: str
    email: str
    password: str
    otp: str | None = None
    recovery_code: str | None = None


def lockout_for(failures: int) -> timedelta:
    """How long an account stays locked after `failures` consecutive failures."""
    if failures < FREE_ATTEMPTS:
        return timedelta(0)
    doublings = min(failures - FREE_ATTEMPTS, 20)
    return min(BASE_LOCKOUT * (1 << doublings), MAX_LOCKOUT)


def login(app: AppServices, credentials: Credentials, *, user_agent: str = "") -> SignedIn:
    """Check the credentials and open a session; failures are counted and may lock the user."""
    now = app.clock.now()
    # The failure count must be committed even though the caller gets an error, so errors are
    # returned from inside the unit of work and raised after it has committed.
    with app.db.unit_of_work() as session:
        outcome = _login(app, session, credentials, now=now, user_agent=user_agent)
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


def _login(
    app: AppServices, session: Session, credentials: Credentials, *, now: datetime, user_agent: str
) -> SignedIn | Exception:
    tenant = tenants_repo.find_by_slug(session, credentials.workspace.strip().lower())
    user = None
    if tenant is not None:
        # Locked: failure counts and the TOTP step last used must not race another sign-in.
        user = users_repo.user_by_email(
            session, tenant.id, credentials.email.strip().lower(), for_update=True
        )
    if tenant is None or user is None or not user.is_active or user.password_hash is None:
        verify_password(_DUMMY_HASH, credentials.password)
        AUTH_FAILURES.labels(reason="unknown_user").inc()
        return Unauthorized(detail=BAD_CREDENTIALS)
    problem = _check_user(app, session, user, credentials, now)
    if problem is not None:
        return problem
    return _open_session(
        app, session, user, tenant_slug=tenant.slug, now=now, user_agent=user_agent
    )


def _check_user(
    app: AppServices, session: Session, user: User, credentials: Credentials, now: datetime
) -> Exception | None:
    if user.locked_until and user.locked_until > now:
        AUTH_FAILURES.labels(reason="locked").inc()
        retry = max(1, int((user.locked_until - now).total_seconds()))
        return TooManyRequests(
            detail="too many failed sign-ins; try again later",
            headers={"Retry-After": str(retry)},
        )
    if not verify_password(user.password_hash or "", credentials.password):
        return _failed(session, user, now, "bad_password")
    if user.mfa_enabled:
        if not (credentials.otp or credentials.recovery_code):
            AUTH_FAILURES.labels(reason="mfa_missing").inc()
            return MfaRequired(detail="send the code from your authenticator app as `otp`")
        ok = (credentials.otp and mfa.accept_totp(user, app.box, credentials.otp, now)) or (
            credentials.recovery_code and mfa.use_recovery_code(user, credentials.recovery_code)
        )
        if not ok:
            # Only the right password reaches this step, so saying the code is wrong tells the
            # caller nothing the mfa-required answer had not told them already.
            _failed(session, user, now, "bad_otp")
            field = "otp" if credentials.otp else "recovery_code"
            return MfaInvalid(
                detail=f"the {_CODE_NAMES[field]} is wrong or was already used",
                errors=[FieldError(field, "wrong or already used", code="mfa_invalid")],
            )
    return None


def _failed(session: Session, user: User, now: datetime, reason: str) -> Exception:
    """Count a failed sign-in (locking the user after too many) and return its answer."""
    AUTH_FAILURES.labels(reason=reason).inc()
    user.failed_login_count += 1
    lock = lockout_for(user.failed_login_count)
    if lock:
        user.locked_until = now + lock
        record(
            session,
            tenant_id=user.tenant_id,
            actor=Actor.system("auth"),
            action="user.locked_out",
            object_type="user",
            object_id=user.id,
            after={
                "failures": user.failed_login_count,
                "locked_until": user.locked_until.isoformat(),
            },
        )
    return Unauthorized(detail=BAD_CREDENTIALS)


def _open_session(
    app: AppServices,
    session: Session,
    user: User,
    *,
    tenant_slug: str,
    now: datetime,
    user_agent: str,
) -> SignedIn:
    user.failed_login_count = 0
    user.locked_until = None
    user.last_login_at = now
    tenant = tenants_repo.get(session, user.tenant_id)
    limited = mfa.enrolment_required(tenant.settings if tenant else {}, user.role, user.mfa_enabled)
    opened = AuthSession(
        id=uuid.uuid4(),
        tenant_id=user.tenant_id,
        user_id=user.id,
        limited=limited,
        user_agent=user_agent[:256],
    )
    session.add(opened)
    refresh, refresh_expires = (
        (None, None)
        if limited
        else _new_refresh(app, session, user, family=opened.id, now=now, user_agent=user_agent)
    )
    access, access_expires = _access_token(app, user, opened.id, now, limited=limited)
    record(
        session,
        tenant_id=user.tenant_id,
        actor=Actor.user(user.id),
        action="user.signed_in",
        object_type="user",
        object_id=user.id,
        after={"mfa": user.mfa_enabled},
    )
    return SignedIn(
        user.id,
        user.tenant_id,
        tenant_slug,
        user.email,
        user.role,
        access,
        access_expires,
        refresh,
        refresh_expires,
        limited,
    )


def _access_token(
    app: AppServices, user: User, session_id: uuid.UUID, now: datetime, *, limited: bool
) -> tuple[str, datetime]:
    return issue_access_token(
        secret=app.settings.effective_secret_key,
        user_id=user.id,
        tenant_id=user.tenant_id,
        session_id=session_id,
        role=user.role.value,
        platform_admin=user.is_platform_admin,
        now=now,
        minutes=app.settings.access_token_minutes,
        limited=limited,
    )


def _new_refresh(
    app: AppServices,
    session: Session,
    user: User,
    *,
    family: uuid.UUID,
    now: datetime,
    user_agent: str,
) -> tuple[str, datetime]:
    token = new_opaque_token(REFRESH_KIND, user.tenant_id)
    expires = now + timedelta(days=app.settings.refresh_token_days)
    session.add(
        RefreshToken(
            tenant_id=user.tenant_id,
            user_id=user.id,
            family_id=family,
            token_hash=token_hash(token),
            expires_at=expires,
            user_agent=user_agent[:256],
        )
    )
    return token, expires


def refresh(app: AppServices, token: str, *, user_agent: str = "") -> SignedIn:
    """Spend `token` for a new access token and the next refresh token of its family."""
    parsed = parse_opaque_token(token, REFRESH_KIND)
    if parsed is None:
        raise Unauthorized(detail="no valid refresh token")
    now = app.clock.now()
    outcome: SignedIn | Exception
    with app.db.unit_of_work(parsed.tenant_id) as session:
        stored = users_repo.refresh_token_by_hash(session, parsed.tenant_id, parsed.hash)
        outcome = _rotate(app, session, stored, now, user_agent)
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


def _rotate(
    app: AppServices, session: Session, stored: RefreshToken | None, now: datetime, user_agent: str
) -> SignedIn | Exception:
    if stored is None or stored.revoked_at is not None or stored.expires_at <= now:
        AUTH_FAILURES.labels(reason="bad_refresh").inc()
        return Unauthorized(detail="the refresh token is invalid, expired or revoked")
    tenant_id = stored.tenant_id
    if stored.used_at is not None:
        users_repo.revoke_session(session, tenant_id, stored.family_id, now)
        AUTH_FAILURES.labels(reason="refresh_reuse").inc()
        record(
            session,
            tenant_id=tenant_id,
            actor=Actor.system("auth"),
            action="session.reuse_detected",
            object_type="user",
            object_id=stored.user_id,
        )
        return Unauthorized(detail="this refresh token was already used; sign in again")
    opened = users_repo.auth_session(session, tenant_id, stored.family_id, for_update=True)
    user = users_repo.user_by_id(session, tenant_id, stored.user_id)
    if opened is None or opened.revoked_at is not None or user is None or not user.is_active:
        users_repo.revoke_session(session, tenant_id, stored.family_id, now)
        AUTH_FAILURES.labels(reason="bad_refresh").inc()
        return Unauthorized(detail="the session has ended; sign in again")
    stored.used_at = now
    tenant = tenants_repo.get(session, tenant_id)
    limited = mfa.enrolment_required(tenant.settings if tenant else {}, user.role, user.mfa_enabled)
    token: str | None = None
    expires: datetime | None = None
    if limited:
        # The policy came into force since this session began: from now on it may only
        # enrol a second factor, and it ends when the access token expires.
        opened.limited = True
    else:
        token, expires = _new_refresh(
            app, session, user, family=opened.id, now=now, user_agent=user_agent
        )
    access, access_expires = _access_token(app, user, opened.id, now, limited=limited)
    return SignedIn(
        user.id,
        tenant_id,
        tenant.slug if tenant else "",
        user.email,
        user.role,
        access,
        access_expires,
        token,
        expires,
        limited,
    )


def logout(app: AppServices, refresh_token: str, *, access_token: str = "") -> None:
    """End the session that `refresh_token` or `access_token` belongs to, if any: from the
    next request on, neither that session's access tokens nor its refresh tokens work."""
    now = app.clock.now()
    parsed = parse_opaque_token(refresh_token, REFRESH_KIND)
    if parsed is not None:
        with app.db.unit_of_work(parsed.tenant_id) as session:
            stored = users_repo.refresh_token_by_hash(session, parsed.tenant_id, parsed.hash)
            if stored is not None:
                users_repo.revoke_session(session, stored.tenant_id, stored.family_id, now)
    claims = verify_access_token(access_token, secret=app.settings.effective_secret_key)
    if claims is not None:  # signed by us; expired or not, its session ends
        with app.db.unit_of_work(claims.tenant_id) as session:
            users_repo.revoke_session(session, claims.tenant_id, claims.session_id, now)
