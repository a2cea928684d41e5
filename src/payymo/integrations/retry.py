"""Bounded retries with exponential backoff and full jitter, honouring Retry-After."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from payymo.integrations.errors import ProviderError, ProviderRateLimited

ResultT = TypeVar("ResultT")


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3
    base_delay: float = 0.5
    max_delay: float = 8.0
    # A rate limit further away than this is not waited out: the caller records it instead.
    max_rate_limit_wait: float = 5.0


def call_with_retries(
    call: Callable[[], ResultT],
    *,
    policy: RetryPolicy = RetryPolicy(),
    now: Callable[[], datetime],
    sleep: Callable[[float], None] = time.sleep,
) -> ResultT:
    """Run `call`; retry retryable `ProviderError`s up to `policy.attempts` times in all."""
    for attempt in range(1, policy.attempts + 1):
        try:
            return call()
        except ProviderError as exc:
            if not exc.retryable or attempt == policy.attempts:
                raise
            delay = _delay(exc, attempt, policy, now())
            if delay is None:
                raise
            sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


def _delay(exc: ProviderError, attempt: int, policy: RetryPolicy, now: datetime) -> float | None:
    if isinstance(exc, ProviderRateLimited) and exc.retry_at is not None:
        wait = (exc.retry_at - now).total_seconds()
        return max(0.0, wait) if wait <= policy.max_rate_limit_wait else None
    ceiling = min(policy.max_delay, policy.base_delay * 2 ** (attempt - 1))
    return random.uniform(0, ceiling)  # noqa: S311 - jitter, not a secret
