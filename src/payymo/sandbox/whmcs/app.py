"""The WHMCS API simulator as a Flask app: `POST /includes/api.php` plus the `/_sim` controls.

Every reply is JSON, whatever `responsetype` says: Payymo always asks for JSON, and XML/NVP
would add nothing the tests need. Errors follow WHMCS: 403 for IP and credential refusals,
HTTP 200 with `result=error` for everything an action refuses.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from flask import Flask, Response, request

from payymo.sandbox.common import FaultInjector, SimClock, SimHooks, install_sim_support

from .actions import ActionError, run_action
from .auth import Gate
from .control import register_control
from .render import dump_state
from .state import WhmcsState

API_PATH = "/includes/api.php"
MAINTENANCE_PAGE = (
    "<!DOCTYPE html><html><head><title>Down for Maintenance</title></head>"
    "<body><h1>Down for Maintenance</h1><p>An upgrade is currently in progress.</p></body></html>"
)


def create_app(
    *,
    seed: int = 7,
    clock: SimClock | None = None,
    identifier: str = "sim-identifier",
    secret: str = "sim-secret",  # noqa: S107 - a sandbox credential, not a secret
    access_key: str | None = None,
    allowed_ips: tuple[str, ...] | None = None,
    today: date | None = None,
) -> Flask:
    """A WHMCS simulator seeded from `generate_world(seed, today=...)`.

    The clock runs in real time unless one is given; the world is anchored to `today`, by
    default the clock's day when the app is built. `allowed_ips=None` turns the IP allow-list
    off.
    """
    clock = clock or SimClock()
    state = WhmcsState(seed=seed, clock=clock, world_day=today or clock.now().date())
    app = Flask(__name__)
    hooks = SimHooks(
        clock=clock,
        faults=FaultInjector(),
        render_error=render_error,
        dump_state=lambda: dump_state(state),
        reset=state.reset,
        export_state=state.export,
        import_state=state.restore,
    )
    install_sim_support(app, hooks)
    _register_api(app, state, Gate(identifier, secret, access_key, allowed_ips))
    register_control(app, state)
    return app


def render_error(status: int, message: str) -> Response:
    """The WHMCS error envelope with `status`; also used for injected faults."""
    return _json({"result": "error", "message": message}, status)


def _register_api(app: Flask, state: WhmcsState, gate: Gate) -> None:
    @app.post(API_PATH)
    def api() -> Response:
        if state.quirks.maintenance:
            return Response(MAINTENANCE_PAGE, status=200, mimetype="text/html")
        params = request.form.to_dict()  # first value of each field, as PHP's $_POST keeps
        refusal = gate.refusal(params, request.remote_addr or "")
        if refusal is not None:
            return render_error(403, refusal)
        try:
            body = run_action(state, params)
        except ActionError as exc:
            body = exc.body()
        return _json(body, 200)


def _json(body: dict[str, Any], status: int) -> Response:
    # json.dumps keeps WHMCS's key order; jsonify would sort the keys.
    return Response(json.dumps(body), status=status, mimetype="application/json")
