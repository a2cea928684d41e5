"""Rate limits with Flask-Limiter: per caller on the API, per IP on sign-in, per tenant on
expensive endpoints. Counters live in Redis when `REDIS_URL` is set, in memory otherwise.

Keys are derived from the request alone, without a database query: a verified access token
gives the user and tenant, an API key its own (unverified) tenant and hash, anything else the
client address. A forged API key therefore only spends its own budget.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, g, request
from flask_limiter import Limiter

from payymo.api.registry import ENDPOINTS, Limit
from payymo.auth.authenticate import API_KEY_KIND, access_claims
from payymo.auth.tokens import parse_opaque_token
from payymo.http import services
from payymo.settings import Settings


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


def register_rate_limits(app: Flask, settings: Settings) -> Limiter:
    """One limiter per app; every `/api/v1` endpoint gets the caller limit plus its own."""

    # Registered before the limiter, so it runs after the limiter's header injection (Flask
    # runs after_request hooks last-registered first): Retry-After belongs to 429s only, and
    # a view's own (a sign-in lockout) wins over the limiter's window.
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
        # A shared scope makes one budget across all endpoints of that kind. The limiter's
        # wrapper is what checks a decorated limit, so it replaces the app's view function.
        view = limiter.shared_limit(settings.rate_limit_api, "api", key_func=caller_key)(view)
        if ep.limit is Limit.AUTH:
            view = limiter.shared_limit(settings.rate_limit_auth, "auth", key_func=client_ip)(view)
        elif ep.limit is Limit.EXPENSIVE:
            view = limiter.shared_limit(
                settings.rate_limit_expensive, "expensive", key_func=tenant_key
            )(view)
        app.view_functions[ep.name] = view
    return limiter
