"""Just enough HS256 JWT for the simulator's access and refresh tokens (no PyJWT needed)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from datetime import datetime
from typing import Any

HEADER = {"alg": "HS256", "typ": "JWT"}


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(key: bytes, signing_input: str) -> str:
    return _b64encode(hmac.new(key, signing_input.encode("ascii"), hashlib.sha256).digest())


def mint(key: bytes, *, kind: str, now: datetime, lifetime: int, subject: str) -> str:
    """A signed token of `kind` (access | refresh) that expires `lifetime` seconds after `now`."""
    issued = int(now.timestamp())
    claims = {
        "token_type": kind,
        "exp": issued + lifetime,
        "iat": issued,
        "jti": uuid.uuid4().hex,
        "secret_id": subject,
    }
    head = _b64encode(json.dumps(HEADER, separators=(",", ":")).encode())
    body = _b64encode(json.dumps(claims, separators=(",", ":")).encode())
    return f"{head}.{body}.{_sign(key, f'{head}.{body}')}"


def verify(key: bytes, token: str, *, kind: str, now: datetime) -> dict[str, Any] | None:
    """The token's claims if it is ours, of `kind` and unexpired at `now`; else None."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    head, body, signature = parts
    if not hmac.compare_digest(signature, _sign(key, f"{head}.{body}")):
        return None
    try:
        claims = json.loads(_b64decode(body))
    except ValueError:
        return None
    if not isinstance(claims, dict) or claims.get("token_type") != kind:
        return None
    exp = claims.get("exp")
    if not isinstance(exp, int) or exp <= now.timestamp():
        return None
    return claims
