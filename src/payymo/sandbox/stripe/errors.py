"""Stripe's error envelope: `{"error": {type, code?, message, param?, doc_url?}}`."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Response, jsonify

DOC_BASE = "https://stripe.com/docs/error-codes/"


@dataclass(eq=False)
class StripeError(Exception):
    """An error the simulator answers with, in Stripe's shape."""

    status: int
    message: str
    type: str = "invalid_request_error"
    code: str | None = None
    param: str | None = None

    def response(self) -> Response:
        body: dict[str, str] = {"type": self.type, "message": self.message}
        if self.code:
            body["code"] = self.code
            body["doc_url"] = DOC_BASE + self.code.replace("_", "-")
        if self.param:
            body["param"] = self.param
        response = jsonify(error=body)
        response.status_code = self.status
        return response


def invalid(message: str, *, param: str | None = None, code: str | None = None) -> StripeError:
    return StripeError(400, message, code=code, param=param)


def no_such(kind: str, object_id: str, *, param: str, status: int = 400) -> StripeError:
    """Stripe's `resource_missing`: 404 for an id in the path, 400 for one in a parameter."""
    return StripeError(
        status, f"No such {kind}: '{object_id}'", code="resource_missing", param=param
    )


def render_error(status: int, message: str) -> Response:
    """The error body Stripe sends for a bare HTTP status (used for injected faults)."""
    if status == 429:
        error = StripeError(status, message, code="rate_limit")
    elif status >= 500:
        error = StripeError(status, message, type="api_error")
    else:
        error = StripeError(status, message)
    return error.response()


def mask_key(key: str) -> str:
    """Show a key the way Stripe does in errors: its `sk_test_` prefix and last four only."""
    parts = key.split("_")
    prefix = "_".join(parts[:2]) + "_" if len(parts) > 2 else ""
    hidden = key[len(prefix) :]
    if len(hidden) <= 4:
        return prefix + "*" * len(hidden)
    return prefix + "*" * (len(hidden) - 4) + hidden[-4:]
