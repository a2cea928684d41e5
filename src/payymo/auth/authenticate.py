"""Turning an Authorization header into a Principal: access JWT or API key.

Either way one query reads what the caller may do now: an access token's session and user
(revoked? active? which role?), an API key and its owner. What a token says about the role is
not trusted past its signature.
"""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache

from payymo.audit.models import ActorType
from payymo.auth import mfa
from payymo.auth import repository as users_repo
from payymo.auth.principal import Principal, key_permissions, user_permissions
from payymo.auth.tokens import AccessClaims, parse_opaque_token, verify_access_token
from payymo.errors import Unauthorized
from payymo.http import AppServices

API_KEY_KIND = "pym"
# Writing last_used_at on every call would turn each read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="payymo"'}


def bearer_token(header: str) -> str:
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(detail="send Authorization: Bearer <token>", headers=CHALLENGE)
    return token.strip()


def access_claims(app: AppServices, token: str) -> AccessClaims | None:
    """The token's claims if it is a valid, unexpired access token."""
    claims = _verified_claims(app.settings.effective_secret_key, token)
    return claims if claims is not None and claims.expires_at > app.clock.now() else None


# A client sends the same token on every call of its short life, and checking the signature
# costs more than the rest of authentication. The answer depends only on secret and token,
# so it is remembered; expiry is still judged on every call, by the app clock.
@lru_cache(maxsize=4096)
def _verified_claims(secret: str, token: str) -> AccessClaims | None:
    return verify_access_token(token, secret=secret)


def authenticate(app: AppServices, header: str) -> Principal:
    """The caller named by an `Authorization` header, as the database sees them now: 401 if
    the token or key is invalid, expired or revoked, or its session or owner has gone."""
    token = bearer_token(header)
    if token.startswith(API_KEY_KIND + "_"):
        return _api_key_principal(app, token)
    claims = access_claims(app, token)
    if claims is None:
        raise Unauthorized(detail="the access token is invalid or expired", headers=CHALLENGE)
    with app.db.unit_of_work(claims.tenant_id) as session:
        state = users_repo.access_state(
            session, claims.tenant_id, claims.session_id, claims.user_id
        )
    if state is None or state.session_revoked or not state.is_active:
        raise Unauthorized(detail="the session has ended; sign in again", headers=CHALLENGE)
    limited = claims.limited or mfa.enrolment_required(
        state.tenant_settings, state.role, state.mfa_enabled
    )
    return Principal(
        tenant_id=claims.tenant_id,
        kind=ActorType.USER,
        id=claims.user_id,
        role=state.role,
        permissions=user_permissions(state.role, platform_admin=state.platform_admin),
        limited=limited,
        session_id=claims.session_id,
    )


def _api_key_principal(app: AppServices, token: str) -> Principal:
    parsed = parse_opaque_token(token, API_KEY_KIND)
    if parsed is None:
        raise Unauthorized(detail="malformed API key", headers=CHALLENGE)
    now = app.clock.now()
    with app.db.unit_of_work(parsed.tenant_id) as session:
        found = users_repo.api_key_by_hash(session, parsed.tenant_id, parsed.hash)
        key, owner = found if found is not None else (None, None)
        if key is None or key.revoked_at is not None or (key.expires_at and key.expires_at <= now):
            raise Unauthorized(
                detail="the API key is invalid, revoked or expired", headers=CHALLENGE
            )
        if owner is None or not owner.is_active:
            raise Unauthorized(
                detail="the API key's owner is no longer an active member; create a new key",
                headers=CHALLENGE,
            )
        if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
            key.last_used_at = now
        # A key does at most what its scopes and its owner's current role both allow.
        held = user_permissions(owner.role, platform_admin=False)
        return Principal(
            tenant_id=key.tenant_id,
            kind=ActorType.API_KEY,
            id=key.id,
            permissions=key_permissions(list(key.scopes)) & held,
            owner_id=owner.id,
        )
