"""`Idempotency-Key` on POST: the first answer is stored and replayed, never re-executed."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable

from flask import Response, jsonify

from payymo.sandbox.stripe.errors import StripeError, invalid
from payymo.sandbox.stripe.objects import StripeObject
from payymo.sandbox.stripe.params import Params
from payymo.sandbox.stripe.state import StoredResponse, StripeState

MAX_KEY_LENGTH = 255


def fingerprint(method: str, path: str, params: Params) -> str:
    return f"{method} {path} {json.dumps(params.values, sort_keys=True)}"


def respond_idempotently(
    state: StripeState, key: str | None, request_fingerprint: str, run: Callable[[], StripeObject]
) -> Response:
    """Run `run` once per key; a failed validation stores nothing, as on Stripe."""
    if key is None:
        return jsonify(run())
    if len(key) > MAX_KEY_LENGTH:
        raise invalid(
            f"Idempotency keys may be at most {MAX_KEY_LENGTH} characters long.",
            param="Idempotency-Key",
        )
    stored, replayed = _stored_or_run(state, key, request_fingerprint, run)
    response = jsonify(stored.body)
    response.status_code = stored.status
    response.headers["Idempotency-Key"] = key
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


def _stored_or_run(
    state: StripeState, key: str, request_fingerprint: str, run: Callable[[], StripeObject]
) -> tuple[StoredResponse, bool]:
    """The stored response for `key` and True, or a fresh one (now stored) and False."""
    stored = state.idempotency.get(key)
    if stored is None:
        stored = StoredResponse(request_fingerprint, 200, copy.deepcopy(run()))
        state.idempotency[key] = stored
        return stored, False
    if stored.fingerprint != request_fingerprint:
        raise StripeError(
            400,
            "Keys for idempotent requests can only be used with the same parameters they were"
            f" first used with. Try using a key other than '{key}' if you meant to execute a"
            " different request.",
            type="idempotency_error",
        )
    return stored, True
