"""HMAC signatures of webhook bodies, checked in constant time."""

from __future__ import annotations

import hashlib
import hmac


def hmac_sha256_hex(secret: str, body: bytes) -> str:
    """The lower-case hex HMAC-SHA256 of `body` under `secret` (GoCardless' scheme)."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_hmac_sha256_hex(secret: str, body: bytes, signature: str) -> bool:
    """Whether `signature` is the HMAC of the raw `body`; compared in constant time."""
    candidate = signature.strip().lower() if signature else ""
    if not secret or not candidate or not candidate.isascii():
        return False  # compare_digest refuses non-ASCII text; no such signature is valid anyway
    return hmac.compare_digest(hmac_sha256_hex(secret, body), candidate)
