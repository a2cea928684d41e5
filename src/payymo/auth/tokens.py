"""Token formats: short-lived access JWTs, and opaque secrets that carry their tenant.

Opaque secrets (refresh tokens, API keys, reset and invitation tokens) look like
`<kind>_<tenant id hex>_<random>`: the tenant id lets the server scope its lookup under
row-level security before it knows anything else; only a SHA-256 of the whole token is stored
(the random part has 256 bits, so a slow hash adds nothing).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from payymo.auth.roles import Role

ALGORITHM = "HS256"
ISSUER = "payymo"
_OPAQUE_RE = re.compile(
    r"^(?P<kind>[a-z]{2,4})_(?P<tenant>[0-9a-f]{32})_(?P<rest>[A-Za-z0-9_-]{20,120})$"
)


@dataclass(frozen=True)
class AccessClaims:
    """What an access token says. Only `user_id`, `tenant_id`, `session_id` and `limited` are
    trusted after the signature check; the role and platform flag are what they were at
    issue, and each request reads the current ones from the database."""

    user_id: uuid.UUID
    tenant_id: uuid.UUID
    session_id: uuid.UUID
    role: Role
    platform_admin: bool
    limited: bool
    expires_at: datetime


def issue_access_token(
    *,
    secret: str,
    user_id: uuid.UUID,
    tenant_id: uuid.UUID,
    session_id: uuid.UUID,
    role: str,
    platform_admin: bool,
    now: datetime,
    minutes: int,
    limited: bool = False,
) -> tuple[str, datetime]:
    """An HS256 JWT for `user_id` in session `session_id`; `limited` tokens may only finish
    MFA enrolment."""
    expires = now + timedelta(minutes=minutes)
    claims = {
        "iss": ISSUER,
        "typ": "access",
        "sub": str(user_id),
        "tid": str(tenant_id),
        "sid": str(session_id),
        "role": role,
        "pa": platform_admin,
        "lim": limited,
        "iat": int(now.timestamp()),
        "exp": int(expires.timestamp()),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM), expires


def decode_access_token(token: str, *, secret: str, now: datetime) -> AccessClaims | None:
    """The claims of a valid, unexpired access token, or None."""
    claims = verify_access_token(token, secret=secret)
    return claims if claims is not None and claims.expires_at > now else None


def verify_access_token(token: str, *, secret: str) -> AccessClaims | None:
    """The claims of an access token signed with `secret`, expired or not; None if invalid.

    Depends on nothing but its arguments, so a caller may remember the answer.
    """
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            # Expiry is judged by the caller against the app clock; PyJWT would judge `iat` by
            # the wall clock and refuse tokens from a server whose clock runs a second ahead.
            options={
                "require": ["exp", "sub", "tid", "sid", "typ", "role"],
                "verify_exp": False,
                "verify_iat": False,
            },
        )
    except jwt.PyJWTError:
        return None
    return _access_claims(claims)


def _access_claims(claims: dict[str, Any]) -> AccessClaims | None:
    """The claims as `issue_access_token` writes them, each of its type; None for anything else
    (a token signed with the key by something else is invalid, not an error)."""
    role, expires = claims["role"], claims["exp"]
    flags = (claims.get("pa", False), claims.get("lim", False))
    if (
        claims["typ"] != "access"
        or not isinstance(role, str)
        or type(expires) is not int
        or not all(type(flag) is bool for flag in flags)
        or not all(isinstance(claims[name], str) for name in ("sub", "tid", "sid"))
    ):
        return None
    try:
        return AccessClaims(
            user_id=uuid.UUID(claims["sub"]),
            tenant_id=uuid.UUID(claims["tid"]),
            session_id=uuid.UUID(claims["sid"]),
            role=Role(role),
            platform_admin=flags[0],
            limited=flags[1],
            expires_at=datetime.fromtimestamp(expires, UTC),
        )
    except (ValueError, OverflowError, OSError):  # no such role; not a UUID; a time out of range
        return None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_opaque_token(kind: str, tenant_id: uuid.UUID) -> str:
    return f"{kind}_{tenant_id.hex}_{secrets.token_urlsafe(32)}"


@dataclass(frozen=True)
class OpaqueToken:
    kind: str
    tenant_id: uuid.UUID
    rest: str
    hash: str


def parse_opaque_token(token: str, kind: str) -> OpaqueToken | None:
    """Split a `<kind>_<tenant>_<random>` token; None if it is not one of `kind`."""
    match = _OPAQUE_RE.match(token.strip())
    if not match or match["kind"] != kind:
        return None
    return OpaqueToken(kind, uuid.UUID(match["tenant"]), match["rest"], token_hash(token.strip()))
