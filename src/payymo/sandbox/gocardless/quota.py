"""Rate limits: the bank's per-(account, scope, UTC day) success quota, and company limits.

Callers hold `store.lock`.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, time, timedelta

from flask import request

from payymo.sandbox.gocardless.errors import api_error
from payymo.sandbox.gocardless.state import Store

ACCOUNT_DATA_PATH = re.compile(r"^/api/v2/accounts/([^/]+)/(details|balances|transactions)/$")
# (path prefix, method or None for any, calls allowed, window seconds), first match wins.
COMPANY_LIMITS: tuple[tuple[str, str | None, int, int], ...] = (
    ("/api/v2/token/new/", None, 100, 3600),
    ("/api/v2/token/refresh/", None, 100, 60),
    ("/api/v2/institutions/", None, 300, 60),
    ("/api/v2/accounts/", None, 100, 60),
    ("/api/v2/", "GET", 300, 60),
    ("/api/v2/", None, 100, 60),
)


def seconds_until_tomorrow(now: datetime) -> int:
    midnight = datetime.combine(now.date() + timedelta(days=1), time(), now.tzinfo)
    return max(1, math.ceil((midnight - now).total_seconds()))


def account_headers(sim: Store, account_id: str, scope: str) -> dict[str, str]:
    now = sim.now()
    used = sim.data.quota[(account_id, scope, now.date())]
    limit = sim.config.daily_limit
    return {
        "X-RateLimit-Account-Success-Limit": str(limit),
        "X-RateLimit-Account-Success-Remaining": str(max(0, limit - used)),
        "X-RateLimit-Account-Success-Reset": str(seconds_until_tomorrow(now)),
    }


def check_account_quota(sim: Store, account_id: str, scope: str) -> None:
    """429 once `daily_limit` calls for (account, scope) succeeded today."""
    now = sim.now()
    limit = sim.config.daily_limit
    if sim.data.quota[(account_id, scope, now.date())] < limit:
        return
    wait = seconds_until_tomorrow(now)
    raise api_error(
        429,
        "Rate limit exceeded",
        f"The rate limit for this resource is {limit}/day. Please try again in {wait} seconds",
    )


def count_success(sim: Store, account_id: str, scope: str) -> None:
    sim.data.quota[(account_id, scope, sim.now().date())] += 1


def _company_limit(method: str, path: str) -> tuple[str, int, int]:
    for prefix, only, limit, window in COMPANY_LIMITS:
        if path.startswith(prefix) and only in (None, method):
            return f"{prefix} {only or '*'}", limit, window
    return "other", 300, 60


def _window(sim: Store, method: str, path: str) -> tuple[tuple[str, int], int, int, int]:
    """(counter key, limit, seconds to the window's end, window length)."""
    group, limit, window = _company_limit(method, path)
    moment = sim.now().timestamp()
    reset = max(1, math.ceil(window - moment % window))
    return (group, int(moment // window)), limit, reset, window


def take_company_call(sim: Store, method: str, path: str) -> None:
    """Count one call against the company limit for its endpoint group; 429 when used up."""
    key, limit, reset, window = _window(sim, method, path)
    for old in [k for k in sim.data.windows if k[0] == key[0] and k != key]:
        del sim.data.windows[old]
    if sim.data.windows[key] >= limit:
        period = "hour" if window == 3600 else "minute"
        raise api_error(
            429,
            "Rate limit exceeded",
            f"The rate limit for this resource is {limit}/{period}. "
            f"Please try again in {reset} seconds",
        )
    sim.data.windows[key] += 1


def company_headers(sim: Store, method: str, path: str) -> dict[str, str]:
    key, limit, reset, _ = _window(sim, method, path)
    return {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(max(0, limit - sim.data.windows[key])),
        "X-RateLimit-Reset": str(reset),
    }


def request_headers(sim: Store) -> dict[str, str]:
    """Every rate-limit header that applies to the current request."""
    with sim.lock:
        headers = company_headers(sim, request.method, request.path)
        matched = ACCOUNT_DATA_PATH.match(request.path)
        if matched:
            headers.update(account_headers(sim, matched[1].lower(), matched[2]))
    return headers


def injected_limit_headers(sim: Store) -> dict[str, str]:
    """An injected 429 plays a company (per-minute) limit: the general count used up, the
    account's success count as it really stands (only the bank's own quota 429 says 0)."""
    headers = request_headers(sim)
    headers["X-RateLimit-Remaining"] = "0"
    return headers
