"""How provider failures reach API callers: each kind of ProviderError as a problem."""

from __future__ import annotations

from typing import Any

from payymo.clock import Clock
from payymo.errors import ProblemError
from payymo.integrations.errors import (
    ProviderAuthError,
    ProviderBadResponse,
    ProviderError,
    ProviderRateLimited,
    ProviderRejected,
    ProviderUnavailable,
)


class ProviderProblem(ProblemError):
    status, slug, title = 502, "provider-error", "The provider failed"


class ProviderAuthProblem(ProviderProblem):
    status, slug, title = 409, "provider-auth", "The provider refused the stored credentials"


class ProviderRejectedProblem(ProviderProblem):
    status, slug, title = 422, "provider-rejected", "The provider refused the request"


class ProviderRateLimitedProblem(ProviderProblem):
    status, slug, title = 429, "provider-rate-limited", "The provider's rate limit is reached"


class ProviderUnavailableProblem(ProviderProblem):
    status, slug, title = 503, "provider-unavailable", "The provider cannot be reached"


class ProviderBadResponseProblem(ProviderProblem):
    status, slug, title = 502, "provider-bad-response", "The provider answered nonsense"


_KINDS: list[tuple[type[ProviderError], type[ProviderProblem]]] = [
    (ProviderAuthError, ProviderAuthProblem),
    (ProviderRejected, ProviderRejectedProblem),
    (ProviderRateLimited, ProviderRateLimitedProblem),
    (ProviderUnavailable, ProviderUnavailableProblem),
    (ProviderBadResponse, ProviderBadResponseProblem),
]


def as_problem(exc: ProviderError, clock: Clock) -> ProviderProblem:
    """The problem to answer for `exc`; nothing from the provider beyond its message."""
    kind = next((problem for error, problem in _KINDS if isinstance(exc, error)), ProviderProblem)
    headers: dict[str, str] = {}
    extra: dict[str, Any] = {}
    if isinstance(exc, ProviderRateLimited) and exc.retry_at is not None:
        seconds = max(1, int((exc.retry_at - clock.now()).total_seconds()))
        headers["Retry-After"] = str(seconds)
        extra["retry_at"] = exc.retry_at.isoformat()
    return kind(detail=exc.message, headers=headers, extra=extra)
