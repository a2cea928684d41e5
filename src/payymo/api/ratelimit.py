"""Rate limits with Flask-Limiter: every `/api/v1` endpoint spends the per-caller `api` limit,
and the endpoint's own named limit (`Endpoint.limit`) if it has one; `BUCKETS` says what each
counts per and which setting sets its rate. Each named limit has its own counters, so ten
exports do not stop a reconciliation run. Counters live in Redis when `REDIS_URL` is set, in
memory otherwise.

Keys are derived from the request alone, without a database query: a verified access token
gives the user and tenant, an API key its own (unverified) tenant and hash, anything else the
client address. A forged API key therefore only spends its own budget.

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
from typing import Any

from flask import Flask, Response, current_app, g, request
from flask_limiter import Limiter, RateLimitExceeded, RequestLimit

from payymo.api.registry import ENDPOINTS, Limit
from payymo.auth.authenticate import API_KEY_KIND, access_claims
from payymo.auth.tokens import parse_opaque_token
from payymo.errors import TooManyRequests
from payymo.http import services
from payymo.settings import Settings

API_LIMIT = "api"
# What a key counts per, by its prefix; the 429 names this, not the key.
KEY_KINDS = {"user": "user", "key": "API key", "tenant": "tenant", "ip": "client IP"}


def client_ip() -> str:
    return f"ip:{request.remote_addr or 'unknown'}"


def _bearer() -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def caller_key() -> str:
    """The caller's bucket: `user:<id>`, `key:<hash>`, or the client IP."""
    token = _bearer()
    if token.startswith(API_KEY_KIND + "_"):
        parsed = parse_opaque_token(token, API_KEY_KIND)
        return f"key:{parsed.hash[:32]}" if parsed else client_ip()
    if token and (claims := access_claims(services(), token)):
        return f"user:{claims.user_id}"
    return client_ip()


def tenant_key() -> str:
    token = _bearer()
    parsed = parse_opaque_token(token, API_KEY_KIND) if token.startswith(API_KEY_KIND) else None
    if parsed:
        return f"tenant:{parsed.tenant_id}"
    if token and (claims := access_claims(services(), token)):
        return f"tenant:{claims.tenant_id}"
    return client_ip()


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
