"""Request helpers the GoCardless simulator's views share."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from flask import current_app, request

from payymo.sandbox.gocardless.errors import ApiError, api_error
from payymo.sandbox.gocardless.state import Store

EXTENSION = "payymo.gocardless"
API_PREFIX = "api/v2/"
DEFAULT_LIMIT = 100


def store() -> Store:
    """The current app's simulator state."""
    found: Store = current_app.extensions[EXTENSION]
    return found


def json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise api_error(400, "Invalid request", "The request body must be a JSON object")
    return body


def is_uuid(value: str) -> bool:
    try:
        return str(uuid.UUID(value)) == value.lower()
    except ValueError:
        return False


def require_uuid(value: str, error: ApiError) -> str:
    if not is_uuid(value):
        raise error
    return value.lower()


def timestamp(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with microseconds and a `Z`, as GoCardless writes them."""
    if moment is None:
        return None
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


def absolute_url(path: str, **query: Any) -> str:
    """An absolute URL into this app, honouring any mount prefix."""
    suffix = f"?{urlencode(query)}" if query else ""
    return f"{request.url_root}{path}{suffix}"


def _int_arg(name: str, default: int) -> int:
    raw = request.args.get(name, "")
    return int(raw) if raw.isdigit() else default


def paginate(items: Sequence[dict[str, Any]], path: str) -> dict[str, Any]:
    """`{count, next, previous, results}` for `limit`/`offset` query arguments."""
    limit = max(1, _int_arg("limit", DEFAULT_LIMIT))
    offset = _int_arg("offset", 0)
    following, preceding = offset + limit, max(0, offset - limit)
    page = API_PREFIX + path
    more = following < len(items)
    return {
        "count": len(items),
        "next": absolute_url(page, limit=limit, offset=following) if more else None,
        "previous": absolute_url(page, limit=limit, offset=preceding) if offset else None,
        "results": list(items[offset:following]),
    }
