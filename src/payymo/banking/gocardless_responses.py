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
_SPELLINGS = ("x-ratelimit-{}", "http_x_ratelimit_{}")


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
    """When a 429 says the next call may succeed.

    The account's reset (often hours away, at the bank's midnight) applies only when the account
    has no successful calls left; any other 429 is a short limit: the general reset, else
    Retry-After, else the seconds the detail names.
    """
    if rate_header(headers, "account-success-remaining") == 0:
        seconds = rate_header(headers, "account-success-reset")
        if seconds is not None:
            return now + timedelta(seconds=seconds)
    seconds = rate_header(headers, "reset")
    if seconds is None:
        seconds = _int(headers.get("retry-after"))
    if seconds is None and (found := _TRY_AGAIN.search(str(body.get("detail", "")))):
        seconds = int(found[1])
    return now + timedelta(seconds=seconds) if seconds is not None else None


def quota(headers: Mapping[str, str]) -> Quota:
    """The per-account quota headers of a successful account-data call."""
    return Quota(
        limit=rate_header(headers, "account-success-limit"),
        remaining=rate_header(headers, "account-success-remaining"),
        reset_seconds=rate_header(headers, "account-success-reset"),
    )


def rate_header(headers: Mapping[str, str], name: str) -> int | None:
    """`X-RateLimit-<name>` as a whole number, in either spelling (None: absent or unreadable)."""
    for spelling in _SPELLINGS:
        key = spelling.format(name if spelling.startswith("x-") else name.replace("-", "_"))
        found = _int(headers.get(key))
        if found is not None:
            return found
    return None


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
        # GoCardless often repeats the summary as the detail ("Not found.": "Not found.").
        repeated = not isinstance(detail, str) or detail.strip() in ("", body["summary"].strip())
        text = "" if repeated else f"{body['summary']}: {detail}"
        return f"GoCardless answered {status}: {text or body['summary']}"[:500]
    fields = []
    for name, value in body.items():
        if name == "status_code":
            continue
        said = value.get("summary") if isinstance(value, dict) else value
        fields.append(f"{name}: {said}")
    return f"GoCardless answered {status}: {'; '.join(fields) or 'no details'}"[:500]
