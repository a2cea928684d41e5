"""Turning an Authorization header into a Principal: access JWT or API key."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache

from sqlalchemy import select

from payymo.audit.models import ActorType
from payymo.auth.models import ApiKey
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
    token = bearer_token(header)
    if token.startswith(API_KEY_KIND + "_"):
        return _api_key_principal(app, token)
    claims = access_claims(app, token)
    if claims is None:
        raise Unauthorized(detail="the access token is invalid or expired", headers=CHALLENGE)
    return Principal(
        tenant_id=claims.tenant_id,
        kind=ActorType.USER,
        id=claims.user_id,
        role=claims.role,
        permissions=user_permissions(claims.role, platform_admin=claims.platform_admin),
        limited=claims.limited,
    )


def _api_key_principal(app: AppServices, token: str) -> Principal:
    parsed = parse_opaque_token(token, API_KEY_KIND)
    if parsed is None:
        raise Unauthorized(detail="malformed API key", headers=CHALLENGE)
    now = app.clock.now()
    with app.db.unit_of_work(parsed.tenant_id) as session:
        key = session.scalars(
            select(ApiKey).where(
                ApiKey.tenant_id == parsed.tenant_id, ApiKey.secret_hash == parsed.hash
            )
        ).one_or_none()
        if key is None or key.revoked_at is not None or (key.expires_at and key.expires_at <= now):
            raise Unauthorized(
                detail="the API key is invalid, revoked or expired", headers=CHALLENGE
            )
        if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
            key.last_used_at = now
        return Principal(
            tenant_id=key.tenant_id,
            kind=ActorType.API_KEY,
            id=key.id,
            permissions=key_permissions(list(key.scopes)),
        )
