"""Response security headers and CORS for the SPA origins."""

from __future__ import annotations

from flask import Flask, Response, request
from flask_cors import CORS

from payymo.settings import Settings

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def register_security(app: Flask, settings: Settings) -> None:
    """Headers on every response; CORS only for the configured origins, with credentials."""
    if settings.cors_origin_list:
        CORS(
            app,
            resources={r"/api/*": {"origins": settings.cors_origin_list}},
            supports_credentials=True,
            expose_headers=["X-Request-ID", "Retry-After", "X-RateLimit-Remaining"],
            max_age=600,
        )
    hsts = settings.is_strict

    @app.after_request
    def security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "no-referrer")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if hsts:
            headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
        if request.path.startswith("/api/v1"):
            headers.setdefault("Cache-Control", "no-store")
        return response
