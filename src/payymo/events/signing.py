"""Signing outbound webhooks, and checking such a signature (what a receiver does).

Each POST carries `Payymo-Timestamp: <unix seconds>` and
`Payymo-Signature: v1=<hex HMAC-SHA256(secret, f"{timestamp}.{body}")>`, computed over the
exact bytes of the body. The timestamp is signed too, so an old request cannot be replayed
with a fresh timestamp; receivers refuse timestamps older than `TOLERANCE_SECONDS`.
"""

from __future__ import annotations

import hmac
import secrets

from payymo.webhooks.signatures import hmac_sha256_hex

TIMESTAMP_HEADER = "Payymo-Timestamp"
SIGNATURE_HEADER = "Payymo-Signature"
EVENT_ID_HEADER = "Payymo-Event-Id"
SCHEME = "v1"
SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix of generated secrets, not a secret
TOLERANCE_SECONDS = 300


def new_secret() -> str:
    """A fresh signing secret (shown to the tenant once, stored encrypted)."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The `Payymo-Signature` value of `body` sent at `timestamp`."""
    return f"{SCHEME}=" + hmac_sha256_hex(secret, f"{timestamp}.".encode() + body)


def signed_headers(secret: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature(secret, timestamp, body),
    }


def verify(
    secret: str,
    *,
    body: bytes,
    timestamp: str,
    signature_header: str,
    now: int,
    tolerance: int = TOLERANCE_SECONDS,
) -> bool:
    """Whether the headers sign `body` under `secret` and the timestamp is recent enough.

    The header may list several comma-separated `v1=` values; any one matching is enough.
    """
    try:
        sent_at = int(timestamp)
    except ValueError:
        return False
    if abs(now - sent_at) > tolerance:
        return False
    expected = signature(secret, sent_at, body)
    candidates = [part.strip() for part in signature_header.split(",")]
    return any(
        part.isascii() and hmac.compare_digest(part, expected)
        for part in candidates
        if part.startswith(f"{SCHEME}=")
    )
