"""Rate limits with Flask-Limiter: every `/api/v1` endpoint spends the per-caller `api` limit,
and the endpoint's own named limit (`Endpoint.limit`) if it has one; `BUCKETS` says what each
counts per and which setting sets its rate. Each named limit has its own counters, so ten
exports do not stop a reconciliation run. Counters live in Redis when `REDIS_URL` is set, in
memory otherwise.

Keys come from verified identity only: the caller is authenticated (once per request; the
view reuses the answer) and a valid access token gives its user and tenant, a valid API key
its own id and tenant. A request without valid credentials counts against the client address,
never against a tenant named in a token it could not prove. A tenant's budget is spent only by
callers allowed to do what the endpoint does: one refused with 403 spends its own.

A spent limit answers 429 problem+json naming the limit, the kind of key it counted (never the
key itself: an address, a user or key id), its rate and when it resets.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from flask import Flask, Response, current_app, g, request
from flask_limiter import Limiter, RateLimitExceeded, RequestLimit

from payymo.api.context import request_principal
from payymo.api.registry import ENDPOINTS, Limit
from payymo.audit.models import ActorType
from payymo.auth.principal import Permission, Principal
from payymo.errors import TooManyRequests, Unauthorized
from payymo.settings import Settings

API_LIMIT = "api"
# What a key counts per, by its prefix; the 429 names this, not the key.
KEY_KINDS = {"user": "user", "key": "API key", "tenant": "tenant", "ip": "client IP"}


def client_ip() -> str:
    return f"ip:{request.remote_addr or 'unknown'}"


def verified_caller() -> Principal | None:
    """The authenticated caller, or None when the request proves no identity."""
    if not request.headers.get("Authorization"):
        return None
    try:
        return request_principal()
    except Unauthorized:
        return None


def caller_key() -> str:
    """The caller's bucket: `user:<id>`, `key:<id>`, or the client IP."""
    caller = verified_caller()
    if caller is None:
        return client_ip()
    return f"{'key' if caller.kind is ActorType.API_KEY else 'user'}:{caller.id}"


def tenant_key() -> str:
    """`tenant:<id>` for a caller the endpoint admits; anyone else spends their own bucket."""
    caller = verified_caller()
    wanted = _permissions().get(request.endpoint or "")
    if caller is None or caller.limited or wanted is None or not caller.can(wanted):
        return caller_key()
    return f"tenant:{caller.tenant_id}"


@cache
def _permissions() -> dict[str, Permission]:
    """Each endpoint's permission, by Flask endpoint name."""
    return {ep.name: ep.permission for ep in ENDPOINTS if ep.permission is not None}


@dataclass(frozen=True)
class Bucket:
    """What a named limit counts per, and the setting that gives its rate."""

    key: Callable[[], str]
    rate: Callable[[Settings], str]


BUCKETS: dict[str, Bucket] = {
    API_LIMIT: Bucket(caller_key, lambda s: s.rate_limit_api),
    Limit.AUTH: Bucket(client_ip, lambda s: s.rate_limit_auth),
    Limit.EXPORTS: Bucket(tenant_key, lambda s: s.rate_limit_exports),
    Limit.RECONCILIATION: Bucket(tenant_key, lambda s: s.rate_limit_reconciliation),
    Limit.SYNCS: Bucket(tenant_key, lambda s: s.rate_limit_syncs),
    Limit.CONNECTIONS: Bucket(tenant_key, lambda s: s.rate_limit_connections),
}


def register_rate_limits(app: Flask, settings: Settings) -> Limiter:
    """One limiter per app; every `/api/v1` endpoint gets the caller limit plus its own."""

    # Registered before the limiter, so it runs after the limiter's header injection (Flask
    # runs after_request hooks last-registered first): Retry-After belongs to 429s only, and
    # a view's own (a sign-in lockout, a spent limit's reset) wins over the limiter's window.
    @app.after_request
    def settle_retry_after(response: Response) -> Response:
        own = g.get("retry_after")
        if own is not None:
            response.headers["Retry-After"] = own
        elif response.status_code != 429:
            response.headers.pop("Retry-After", None)
        return response

    limiter = Limiter(
        caller_key,
        app=app,
        storage_uri=settings.redis_url or "memory://",
        # O(1) per hit in memory and in Redis, unlike the moving window's per-hit log.
        strategy="sliding-window-counter",
        headers_enabled=True,
        key_prefix="payymo-rl",
        swallow_errors=True,  # a Redis outage must not take the API down with it
    )
    for ep in ENDPOINTS:
        view: Any = app.view_functions.get(ep.name)
        if view is None:
            continue
        # A shared scope (the limit's name) makes one budget across all endpoints of that
        # limit. The limiter's wrapper is what checks a decorated limit, so it replaces the
        # app's view function.
        for name in (API_LIMIT, ep.limit) if ep.limit else (API_LIMIT,):
            bucket = BUCKETS[name]
            view = limiter.shared_limit(bucket.rate(settings), name, key_func=bucket.key)(view)
        app.view_functions[ep.name] = view
    return limiter


def rate_limited(exc: RateLimitExceeded) -> TooManyRequests:
    """The problem for a spent limit: its name, what it counts per, its rate, its reset."""
    spent = exc.limit
    name = spent.scope if isinstance(spent.scope, str) else API_LIMIT
    counted = _counted(exc)
    key = counted.request_args[-2] if counted else spent.key_func()
    kind = KEY_KINDS.get(key.partition(":")[0], "caller")
    # The limiter's windows run on the wall clock, not the app's clock.
    reset = _reset(exc, counted)
    reset_at = datetime.fromtimestamp(reset, UTC).isoformat().replace("+00:00", "Z")
    rate = str(spent.limit)
    return TooManyRequests(
        detail=f"the {name} limit of {rate} per {kind} is spent until {reset_at}",
        extra={"limit": name, "key": kind, "rate": rate, "reset_at": reset_at},
        headers={"Retry-After": str(max(1, math.ceil(reset - time.time())))},
    )


def _counted(exc: RateLimitExceeded) -> RequestLimit | None:
    """The limiter's record of this request's breach of the spent limit (key and window)."""
    limiters: set[Limiter] = current_app.extensions.get("limiter", set())
    for limiter in limiters:
        for counted in limiter.current_limits:
            if counted.breached and counted.limit is exc.limit.limit:
                return counted
    return None


def _reset(exc: RateLimitExceeded, counted: RequestLimit | None) -> float:
    """When the spent limit lets the next request through, in seconds since the epoch."""
    if counted is not None:
        with suppress(Exception):  # the storage went away since the hit (swallow_errors)
            return float(counted.reset_at)
    return time.time() + exc.limit.limit.get_expiry()
