"""`create_app`: the Stripe simulator as a Flask app, one independent account per app."""

from __future__ import annotations

import uuid
from datetime import date

import stripe
from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException

from payymo.sandbox.common import FaultInjector, SimClock, SimHooks, install_sim_support
from payymo.sandbox.stripe.api import register_api
from payymo.sandbox.stripe.control import register_control
from payymo.sandbox.stripe.errors import StripeError, mask_key, render_error
from payymo.sandbox.stripe.sim import StripeSimulator
from payymo.sandbox.stripe.webhooks import WebhookDispatcher

API_PREFIX = "/v1/"
NO_KEY_MESSAGE = (
    "You did not provide an API key. You need to provide your API key in the Authorization"
    " header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See"
    " https://stripe.com/docs/api#authentication for details, or we can help at"
    " https://support.stripe.com/."
)


def create_app(
    *,
    seed: int = 7,
    clock: SimClock | None = None,
    api_keys: tuple[str, ...] = ("sk_test_sim", "rk_test_sim"),
    webhook_url: str | None = None,
    webhook_secret: str = "whsec_sim",  # noqa: S107 - the sandbox default, as documented
    today: date | None = None,
) -> Flask:
    """A Stripe account seeded from the world of `seed`, served under `/v1` and `/_sim`.

    The clock runs in real time unless one is given; the world is anchored to `today`, by
    default the clock's day when the app is built.
    """
    webhooks = WebhookDispatcher(url=webhook_url, secret=webhook_secret) if webhook_url else None
    clock = clock or SimClock()
    world_day = today or clock.now().date()
    sim = StripeSimulator(seed=seed, clock=clock, world_day=world_day, webhooks=webhooks)
    app = Flask(__name__)
    install_sim_support(
        app,
        SimHooks(
            clock=sim.clock,
            faults=FaultInjector(),
            render_error=render_error,
            dump_state=sim.dump_state,
            reset=sim.reset,
            export_state=sim.export,
            import_state=sim.restore,
        ),
    )
    register_request_basics(app, api_keys)
    register_error_handlers(app)
    register_api(app, sim)
    register_control(app)
    return app


def register_request_basics(app: Flask, api_keys: tuple[str, ...]) -> None:
    """Request ids and versions on every answer, and API keys on every `/v1` request."""

    @app.before_request
    def authenticate() -> None:
        g.request_id = f"req_{uuid.uuid4().hex[:14]}"
        if request.path.startswith(API_PREFIX):
            _check_api_key(api_keys)

    @app.after_request
    def stamp(response: Response) -> Response:
        response.headers["Request-Id"] = g.get("request_id", "")
        if request.path.startswith(API_PREFIX):
            version = request.headers.get("Stripe-Version", stripe.api_version)
            response.headers["Stripe-Version"] = version
        return response


def _check_api_key(api_keys: tuple[str, ...]) -> None:
    auth = request.authorization
    key = None
    if auth is not None:
        key = auth.username if auth.type == "basic" else auth.token
    if key and key in api_keys:
        return
    message = f"Invalid API Key provided: {mask_key(key)}" if key else NO_KEY_MESSAGE
    raise StripeError(401, message)


def register_error_handlers(app: Flask) -> None:
    """Every error in Stripe's envelope, including unknown URLs and crashes."""

    @app.errorhandler(StripeError)
    def stripe_error(error: StripeError) -> Response:
        response = error.response()
        if error.status == 401:
            response.headers["WWW-Authenticate"] = 'Basic realm="Stripe"'
        return response

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        if error.code in (404, 405):
            return StripeError(
                404,
                f"Unrecognized request URL ({request.method}: {request.path}). Please see"
                " https://stripe.com/docs or we can help at https://support.stripe.com/.",
            ).response()
        return render_error(error.code or 500, error.description or "Request failed")
