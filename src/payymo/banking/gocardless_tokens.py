"""GoCardless access and refresh tokens: minted once, refreshed when due, shared by threads."""

from __future__ import annotations

import base64
import binascii
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from payymo.banking.gocardless_schemas import AccessToken, TokenPair
from payymo.clock import Clock
from payymo.integrations.errors import ProviderAuthError, ProviderRejected

# Renew a little early: the provider's clock and ours never agree to the second.
EXPIRY_MARGIN = timedelta(seconds=30)


@dataclass(frozen=True)
class Token:
    value: str
    expires_at: datetime

    @classmethod
    def issued(cls, value: str, lifetime_seconds: int, now: datetime) -> Token:
        """The token's own `exp` claim if it carries one, else now + the stated lifetime."""
        return cls(value, jwt_expiry(value) or now + timedelta(seconds=lifetime_seconds))

    def live(self, now: datetime) -> bool:
        return now + EXPIRY_MARGIN < self.expires_at


class TokenCache:
    """Hands out a live access token: cached, else refreshed, else minted anew."""

    def __init__(
        self,
        *,
        mint: Callable[[], TokenPair],
        refresh: Callable[[str], AccessToken],
        clock: Clock,
    ) -> None:
        self._mint, self._refresh, self._clock = mint, refresh, clock
        self._lock = threading.Lock()
        self._access: Token | None = None
        self._refresh_token: Token | None = None

    def access(self) -> str:
        with self._lock:
            now = self._clock.now()
            if self._access is not None and self._access.live(now):
                return self._access.value
            if self._refresh_token is not None and self._refresh_token.live(now):
                try:
                    fresh = self._refresh(self._refresh_token.value)
                except (ProviderAuthError, ProviderRejected):
                    self._refresh_token = None  # revoked or expired early: mint instead
                else:
                    self._access = Token.issued(fresh.access, fresh.access_expires, now)
                    return self._access.value
            return self._mint_locked(now)

    def replace(self, refused: str) -> str:
        """A newly minted access token after the provider refused `refused`."""
        with self._lock:
            if self._access is not None and self._access.value != refused:
                return self._access.value  # another thread has already replaced it
            self._access = None  # never handed out again, even if minting fails now
            return self._mint_locked(self._clock.now())

    def secrets(self) -> tuple[str, ...]:
        """The tokens held now, so error messages can be scrubbed of them."""
        held = (self._access, self._refresh_token)
        return tuple(token.value for token in held if token is not None)

    def _mint_locked(self, now: datetime) -> str:
        pair = self._mint()
        self._access = Token.issued(pair.access, pair.access_expires, now)
        self._refresh_token = Token.issued(pair.refresh, pair.refresh_expires, now)
        return self._access.value


def jwt_expiry(token: str) -> datetime | None:
    """The `exp` claim of a JWT, read without verifying it (only GoCardless can)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    payload = parts[1]
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        exp = claims["exp"]
    except (ValueError, binascii.Error, KeyError, TypeError):
        return None
    if isinstance(exp, bool) or not isinstance(exp, int | float):
        return None
    try:
        return datetime.fromtimestamp(exp, UTC)
    except (OverflowError, OSError, ValueError):
        return None
