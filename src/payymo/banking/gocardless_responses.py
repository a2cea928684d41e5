"""Reading GoCardless answers: JSON bodies, error bodies and rate-limit headers."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import httpx

from payymo.banking.provider import Quota
from payymo.integrations.errors import (
    AccessExpired,
    ProviderAuthError,
    ProviderBadResponse,
    ProviderError,
    ProviderRateLimited,
    ProviderRejected,
    ProviderUnavailable,
)

# A 401 about the end user's consent (not our token) means they must reconnect.
_EUA_EXPIRED = re.compile(r"end user agreement.*expired", re.IGNORECASE)
_TRY_AGAIN = re.compile(r"try again in (\d+) seconds", re.IGNORECASE)
# The docs spell headers Django-style (HTTP_X_...); the wire uses the dashed names.
_RESET_HEADERS = (
    "x-ratelimit-account-success-reset",
    "http_x_ratelimit_account_success_reset",
    "x-ratelimit-reset",
    "http_x_ratelimit_reset",
)


def error(
    status: int, body: dict[str, Any], message: str, headers: httpx.Headers, now: datetime
) -> ProviderError:
    """The `ProviderError` for an answer of 400 or above."""
    if status == 401:
        said = f"{body.get('summary', '')} {body.get('detail', '')}"
        if body.get("type") == "AccessExpiredError" or _EUA_EXPIRED.search(said):
            return AccessExpired(message, status=status)
        return ProviderAuthError(message, status=status)
    if status == 403:
        return ProviderAuthError(message, status=status)
    if status == 429:
        return ProviderRateLimited(message, retry_at=retry_at(headers, body, now))
    if status >= 500:
        return ProviderUnavailable(message, status=status)
    return ProviderRejected(message, status=status)


def retry_at(headers: Mapping[str, str], body: dict[str, Any], now: datetime) -> datetime | None:
    """When a 429 says the next call may succeed: reset headers, else the detail's seconds."""
    for name in _RESET_HEADERS:
        seconds = _int(headers.get(name))
        if seconds is not None:
            return now + timedelta(seconds=seconds)
    found = _TRY_AGAIN.search(str(body.get("detail", "")))
    return now + timedelta(seconds=int(found[1])) if found else None


def quota(headers: httpx.Headers) -> Quota:
    """The per-account quota headers of a successful account-data call."""

    def read(name: str) -> int | None:
        for spelling in ("x-ratelimit-account-success-", "http_x_ratelimit_account_success_"):
            found = _int(headers.get(spelling + name))
            if found is not None:
                return found
        return None

    return Quota(limit=read("limit"), remaining=read("remaining"), reset_seconds=read("reset"))


def _int(raw: str | None) -> int | None:
    if raw is None:
        return None
    try:
        value = int(float(raw.strip()))
    except (ValueError, OverflowError):
        return None
    return value if value >= 0 else None


def json_body(response: httpx.Response, what: str) -> Any:
    try:
        return response.json()
    except ValueError:
        raise ProviderBadResponse(f"GoCardless sent a body that is not JSON ({what})") from None


def error_body(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def summary(response: httpx.Response) -> str | None:
    found = error_body(response).get("summary")
    return found if isinstance(found, str) else None


def describe(status: int, body: dict[str, Any]) -> str:
    """A one-line account of a GoCardless error body, plain or keyed by field."""
    if isinstance(body.get("summary"), str):
        detail = body.get("detail")
        text = f"{body['summary']}: {detail}" if isinstance(detail, str) and detail else ""
        return f"GoCardless answered {status}: {text or body['summary']}"[:500]
    fields = []
    for name, value in body.items():
        if name == "status_code":
            continue
        said = value.get("summary") if isinstance(value, dict) else value
        fields.append(f"{name}: {said}")
    return f"GoCardless answered {status}: {'; '.join(fields) or 'no details'}"[:500]
