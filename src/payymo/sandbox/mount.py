"""Serving the three simulators inside the web app under /sandbox (embedded default only).

The simulators are built in the process that serves them, on its first sandbox request, never
in a gunicorn master before it forks. Their state lives in one file (`SANDBOX_STATE_PATH`,
beside the embedded database by default), written after every sandbox request and before its
answer leaves the process: a WHMCS payment Payymo was told about is on disk, so a restarted
`make run` shows the same accounts, invoices and payments, and its clock does not go back.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

from payymo.logs import get_logger
from payymo.sandbox import gocardless, stripe, whmcs
from payymo.sandbox.common import SimClock, SimHooks
from payymo.sandbox.persist import SavedSandbox, load, save

SANDBOX_PREFIX = "/sandbox"
SIMULATORS = {"gocardless": gocardless, "stripe": stripe, "whmcs": whmcs}
WHMCS_CREDENTIALS = ("sim-identifier", "sim-secret")
STRIPE_KEY = "sk_test_sim"

log = get_logger("payymo.sandbox")


class Sandbox:
    """The three simulators of one process, sharing one clock and one world, kept on disk."""

    def __init__(self, *, seed: int, state_path: Path) -> None:
        self.seed = seed
        self.state_path = state_path
        self._lock = threading.Lock()
        self._apps: dict[str, Flask] | None = None
        self._clock = SimClock()
        self._world_day = self._clock.now().date()
        self._last_saved = b""

    def apps(self) -> dict[str, Flask]:
        with self._lock:
            if self._apps is None:
                self._apps = self._build()
            return self._apps

    def _build(self) -> dict[str, Flask]:
        saved = load(self.state_path, seed=self.seed, names=tuple(SIMULATORS))
        if saved:
            self._clock.set_offset(saved.clock_offset)
            self._world_day = saved.world_day
        apps = {
            name: module.create_app(seed=self.seed, clock=self._clock, today=self._world_day)
            for name, module in SIMULATORS.items()
        }
        if saved:
            for name, app in apps.items():
                _hooks(app).import_state(saved.states[name])
            log.info("sandbox state restored", path=str(self.state_path))
        return apps

    def save(self) -> None:
        """Write every simulator's state, unless nothing changed since the last write."""
        apps = self.apps()
        with self._lock:
            states = {name: _hooks(app).export_state() for name, app in apps.items()}
            snapshot = SavedSandbox(self.seed, self._world_day, self._clock.offset, states)
            self._last_saved = save(self.state_path, snapshot, unless_equal_to=self._last_saved)

    def route(self, name: str) -> WSGIApplication:
        def serve(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
            answer = self.apps()[name](environ, start_response)
            self.save()  # before the server sends the answer: what the caller hears is kept
            return answer

        return serve


def _hooks(app: Flask) -> SimHooks:
    found: SimHooks = app.extensions["payymo.sim"]
    return found


def mount_simulators(app: Flask, *, state_path: Path, seed: int = 7) -> Sandbox:
    """Route /sandbox/{gocardless,stripe,whmcs} to simulators sharing one clock and world."""
    sandbox = Sandbox(seed=seed, state_path=state_path)
    routes: dict[str, Any] = {f"{SANDBOX_PREFIX}/{n}": sandbox.route(n) for n in SIMULATORS}
    app.wsgi_app = DispatcherMiddleware(app.wsgi_app, routes)  # type: ignore[method-assign]
    app.extensions["payymo.sandbox"] = sandbox
    return sandbox
