"""GoCardless error bodies: `{summary, detail, status_code[, type]}`, or keyed by field."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

NOT_FOUND = "Not found."


class ApiError(Exception):
    """An error answered with GoCardless's own body and status."""

    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None):
        super().__init__(body.get("summary", status))
        self.status = status
        self.body = body
        self.headers = headers or {}

    def response(self) -> Response:
        response = jsonify(self.body)
        response.status_code = self.status
        response.headers.update(self.headers)
        return response


def api_error(
    status: int, summary: str, detail: str, *, kind: str | None = None, **headers: str
) -> ApiError:
    body: dict[str, Any] = {"summary": summary, "detail": detail, "status_code": status}
    if kind:
        body["type"] = kind
    return ApiError(status, body, {k.replace("_", "-"): v for k, v in headers.items()})


def field_errors(errors: dict[str, Any]) -> ApiError:
    """A 400 keyed by field, as GoCardless answers validation failures."""
    return ApiError(400, {**errors, "status_code": 400})


def field_error(summary: str, detail: str) -> dict[str, str]:
    return {"summary": summary, "detail": detail}


def not_found() -> ApiError:
    return api_error(404, NOT_FOUND, NOT_FOUND)


def invalid_token() -> ApiError:
    return api_error(401, "Invalid token", "Token is invalid or expired")


def invalid_uuid(value: str, resource: str) -> ApiError:
    return api_error(400, f"Invalid {resource} ID", f"{value} is not a valid {resource} UUID. ")


def access_expired(scope: str) -> ApiError:
    return api_error(
        401,
        f"Couldn't update account {scope}",
        "Access has expired or it has been revoked. To restore access reconnect the account.",
        kind="AccessExpiredError",
    )


def render_error(status: int, message: str) -> Response:
    """The provider's error response for (status, message), for injected faults."""
    kinds = {500: "UnknownRequestError", 503: "ServiceError"}
    return api_error(status, message, message, kind=kinds.get(status)).response()
