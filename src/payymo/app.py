"""The application factory: `create_app(settings)` builds Payymo's Flask app."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

from flask import Flask, Response, g, request
from flask_limiter import RateLimitExceeded
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from payymo.api.ratelimit import rate_limited, register_rate_limits
from payymo.api.security import register_security
from payymo.blueprints import api_blueprints
from payymo.clock import Clock, SystemClock
from payymo.errors import ProblemError, problem_body
from payymo.http import EXTENSION_KEY, build_services, problem_response, services
from payymo.integrations.errors import ProviderError
from payymo.integrations.problems import as_problem
from payymo.logs import bind_context, clear_context, configure_logging, get_logger
from payymo.mail import Mailer
from payymo.settings import Settings, load_settings
from payymo.worker import app as worker
from payymo.worker import runtime

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

log = get_logger("payymo.web")


def create_app(
    settings: Settings | None = None, *, clock: Clock | None = None, mailer: Mailer | None = None
) -> Flask:
    """Build the web app; tests pass their own settings, clock and mailer."""
    settings = settings or load_settings()
    configure_logging(settings.log_level)
    app = Flask("payymo")
    app.config.update(SECRET_KEY=settings.effective_secret_key, JSON_SORT_KEYS=False)
    if settings.trusted_proxies:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=settings.trusted_proxies, x_proto=settings.trusted_proxies
        )
    register_services(app, settings, clock=clock or SystemClock(), mailer=mailer)
    register_request_context(app)
    register_no_content(app)
    register_error_handlers(app)
    register_blueprints(app)
    register_security(app, settings)
    register_rate_limits(app, settings)
    if settings.sandbox_enabled:
        from payymo.sandbox.mount import mount_simulators  # noqa: PLC0415 - development only

        mount_simulators(app, state_path=settings.effective_sandbox_state_path)
    return app


def register_services(
    app: Flask, settings: Settings, *, clock: Clock, mailer: Mailer | None
) -> None:
    services = build_services(settings, clock=clock, mailer=mailer)
    app.extensions[EXTENSION_KEY] = services
    worker.configure(settings)
    if settings.effective_tasks_eager:
        runtime.use(services)  # tasks run in this process, on this app's database


def register_request_context(app: Flask) -> None:
    @app.before_request
    def start_request() -> None:
        clear_context()
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = incoming if _REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex
        g.started = time.perf_counter()
        bind_context(request_id=g.request_id)

    @app.after_request
    def finish_request(response: Response) -> Response:
        request_id = g.get("request_id") or uuid.uuid4().hex
        response.headers[REQUEST_ID_HEADER] = request_id
        duration_ms = round((time.perf_counter() - g.get("started", time.perf_counter())) * 1000, 2)
        log.info(
            "request",
            method=request.method,
            path=request.path,
            status=response.status_code,
            duration_ms=duration_ms,
        )
        return response

    @app.teardown_request
    def end_request(_exc: BaseException | None) -> None:
        clear_context()


def register_no_content(app: Flask) -> None:
    @app.after_request
    def without_content_type(response: Response) -> Response:
        # Werkzeug sends no body with a 204, but the default text/html type stayed on it.
        if response.status_code == 204:
            response.headers.remove("Content-Type")
        return response


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ProblemError)
    def handle_problem(exc: ProblemError) -> Response:
        if "Retry-After" in exc.headers:
            g.retry_after = exc.headers["Retry-After"]
        return problem_response(exc.to_problem(instance=request.path), exc.headers)

    @app.errorhandler(ProviderError)
    def handle_provider(exc: ProviderError) -> Response:
        return handle_problem(as_problem(exc, services().clock))

    @app.errorhandler(RateLimitExceeded)
    def handle_rate_limited(exc: RateLimitExceeded) -> Response:
        return handle_problem(rate_limited(exc))

    @app.errorhandler(HTTPException)
    def handle_http(exc: HTTPException) -> Response:
        status = exc.code or 500
        slug = (exc.name or "error").lower().replace(" ", "-")
        body = problem_body(
            status=status, slug=slug, title=exc.name, detail=exc.description, instance=request.path
        )
        headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
        return problem_response(body, headers)

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception) -> Response:
        log.exception("unhandled_error", error_type=type(exc).__name__)
        body: dict[str, Any] = ProblemError(
            detail="An unexpected error occurred; it has been logged."
        ).to_problem(instance=request.path)
        body["request_id"] = g.get("request_id")
        return problem_response(body)


def register_blueprints(app: Flask) -> None:
    for blueprint in api_blueprints():
        app.register_blueprint(blueprint)
