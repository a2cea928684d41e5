"""`/token/new/` and `/token/refresh/`, and the bearer check on every other API call."""

from __future__ import annotations

import hmac
from typing import Any

from flask import Blueprint, Response, jsonify, request

from payymo.sandbox.gocardless import jwt
from payymo.sandbox.gocardless.errors import api_error, field_errors, invalid_token
from payymo.sandbox.gocardless.state import Store
from payymo.sandbox.gocardless.web import json_body, store

ACCESS_EXPIRES = 86_400
REFRESH_EXPIRES = 2_592_000
REQUIRED = "This field is required."

bp = Blueprint("gocardless_tokens", __name__, url_prefix="/api/v2/token")


def _required(body: dict[str, Any], *names: str) -> list[str]:
    missing = {name: [REQUIRED] for name in names if not isinstance(body.get(name), str)}
    if missing:
        raise field_errors(missing)
    return [str(body[name]) for name in names]


def _mint(sim: Store, kind: str, lifetime: int) -> str:
    return jwt.mint(
        sim.config.signing_key,
        kind=kind,
        now=sim.now(),
        lifetime=lifetime,
        subject=sim.config.secret_id,
    )


@bp.post("/new/")
def new_token() -> Response:
    sim = store()
    secret_id, secret_key = _required(json_body(), "secret_id", "secret_key")
    id_ok = hmac.compare_digest(secret_id.encode(), sim.config.secret_id.encode())
    key_ok = hmac.compare_digest(secret_key.encode(), sim.config.secret_key.encode())
    if not (id_ok and key_ok):
        raise api_error(
            401, "Authentication failed", "No active account found with the given credentials"
        )
    return jsonify(
        access=_mint(sim, "access", ACCESS_EXPIRES),
        access_expires=ACCESS_EXPIRES,
        refresh=_mint(sim, "refresh", REFRESH_EXPIRES),
        refresh_expires=REFRESH_EXPIRES,
    )


@bp.post("/refresh/")
def refresh_token() -> Response:
    sim = store()
    (refresh,) = _required(json_body(), "refresh")
    if jwt.verify(sim.config.signing_key, refresh, kind="refresh", now=sim.now()) is None:
        raise invalid_token()
    return jsonify(access=_mint(sim, "access", ACCESS_EXPIRES), access_expires=ACCESS_EXPIRES)


def check_bearer(sim: Store) -> None:
    """Raise 401 Invalid token unless the request carries a live access token."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise invalid_token()
    if jwt.verify(sim.config.signing_key, token.strip(), kind="access", now=sim.now()) is None:
        raise invalid_token()
