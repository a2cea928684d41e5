"""Errors every provider client raises, whatever the provider: callers handle one set."""

from __future__ import annotations

from datetime import datetime


class ProviderError(Exception):
    """A provider call failed; `message` is safe to show a user (no secrets)."""

    retryable = False

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class ProviderUnavailable(ProviderError):
    """5xx, timeouts, connection errors: worth retrying later."""

    retryable = True


class ProviderRateLimited(ProviderError):
    """429: no more calls until `retry_at` (None if the provider did not say)."""

    retryable = True

    def __init__(self, message: str, *, retry_at: datetime | None, status: int = 429) -> None:
        super().__init__(message, status=status)
        self.retry_at = retry_at


class ProviderAuthError(ProviderError):
    """Credentials refused (wrong key, revoked, IP not allowed)."""


class AccessExpired(ProviderAuthError):
    """The end user's consent expired or was revoked; they must reconnect."""


class ProviderBadResponse(ProviderError):
    """The provider answered something that is not what its contract says (nothing stored)."""


class ProviderRejected(ProviderError):
    """The provider refused the request itself (validation, not found, wrong state)."""
