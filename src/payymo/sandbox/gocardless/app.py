"""`create_app`: the GoCardless Bank Account Data simulator as a Flask app."""

from __future__ import annotations

from datetime import date

from flask import Flask, Response, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import HTTPException

from payymo.sandbox.common import FaultInjector, SimClock, SimHooks, install_sim_support
from payymo.sandbox.gocardless import (
    accounts,
    agreements,
    consent,
    control,
    institutions,
    requisitions,
    tokens,
)
from payymo.sandbox.gocardless.errors import ApiError, api_error, render_error
from payymo.sandbox.gocardless.lifecycle import expire_due
from payymo.sandbox.gocardless.quota import (
    injected_limit_headers,
    request_headers,
    take_company_call,
)
from payymo.sandbox.gocardless.seed import seed_data
from payymo.sandbox.gocardless.snapshot import dump_state
from payymo.sandbox.gocardless.state import Config, Store
from payymo.sandbox.gocardless.web import EXTENSION

API_ROOT = "/api/v2/"
AUTH_FREE_ROOT = "/api/v2/token/"  # minting needs no bearer


class _InsertionOrderJSON(DefaultJSONProvider):
    sort_keys = False  # keep GoCardless's key order, as recorded in the fixtures


def create_app(
    *,
    seed: int = 7,
    clock: SimClock | None = None,
    secret_id: str = "sim-secret-id",  # noqa: S107 - the simulator's published test secret
    secret_key: str = "sim-secret-key",  # noqa: S107 - likewise
    daily_limit: int = 4,
    today: date | None = None,
) -> Flask:
    """A GoCardless BAD simulator seeded from `generate_world(seed, today=...)`.

    The clock runs in real time unless one is given; the world is anchored to `today`, by
    default the clock's day when the app is built. The WHMCS and Stripe simulators do the same,
    so a clock shared between them keeps the three stories in step.
    """
    clock = clock or SimClock()
    world_day = today or clock.now().date()
    config = Config(seed, secret_id, secret_key, daily_limit, world_day=world_day)
    sim = Store(config, clock, seed_data)
    app = Flask(__name__)
    app.json = _InsertionOrderJSON(app)
    app.extensions[EXTENSION] = sim
    install_sim_support(app, _hooks(sim))
    _register_api_guard(app, sim)
    _register_error_handlers(app)
    for module in (tokens, institutions, agreements, requisitions, accounts, consent, control):
        app.register_blueprint(module.bp)
    return app


def _hooks(sim: Store) -> SimHooks:
    return SimHooks(
        clock=sim.clock,
        faults=FaultInjector(),
        render_error=render_error,
        dump_state=lambda: dump_state(sim),
        reset=sim.reset,
        rate_limit_headers=lambda: injected_limit_headers(sim),
        export_state=sim.export,
        import_state=sim.restore,
    )


def _register_api_guard(app: Flask, sim: Store) -> None:
    @app.before_request
    def guard_api() -> None:
        if not request.path.startswith(API_ROOT):
            return
        with sim.lock:
            expire_due(sim)
            take_company_call(sim, request.method, request.path)
        if not request.path.startswith(AUTH_FREE_ROOT):
            tokens.check_bearer(sim)

    @app.after_request
    def add_rate_limit_headers(response: Response) -> Response:
        if request.path.startswith(API_ROOT):
            for name, value in request_headers(sim).items():
                response.headers.setdefault(name, value)  # an injected 429 set its own
        return response


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def answer_api_error(error: ApiError) -> Response:
        return error.response()

    @app.errorhandler(HTTPException)
    def answer_http_error(error: HTTPException) -> Response:
        status = error.code or 500
        if status == 404:
            return api_error(404, "Not found.", "Not found.").response()
        if status == 405:
            detail = f'Method "{request.method}" not allowed.'
            return api_error(405, "Method not allowed", detail).response()
        return render_error(status, error.name)
