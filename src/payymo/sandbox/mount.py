"""Serving the three simulators inside the web app under /sandbox (embedded default only)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

from payymo.sandbox import gocardless, stripe, whmcs
from payymo.sandbox.common import SimClock

SANDBOX_PREFIX = "/sandbox"
WHMCS_CREDENTIALS = ("sim-identifier", "sim-secret")
STRIPE_KEY = "sk_test_sim"


def mount_simulators(app: Flask, *, seed: int = 7) -> None:
    """Route /sandbox/{gocardless,stripe,whmcs} to simulators sharing one clock and world."""
    clock = SimClock()
    simulators: dict[str, WSGIApplication] = {
        f"{SANDBOX_PREFIX}/gocardless": gocardless.create_app(seed=seed, clock=clock),
        f"{SANDBOX_PREFIX}/stripe": stripe.create_app(seed=seed, clock=clock),
        f"{SANDBOX_PREFIX}/whmcs": whmcs.create_app(seed=seed, clock=clock),
    }
    app.wsgi_app = DispatcherMiddleware(app.wsgi_app, simulators)  # type: ignore[method-assign]
