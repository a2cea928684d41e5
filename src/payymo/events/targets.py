"""Checking where a tenant's events may go, and how a stored target is shown back."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from payymo.auth.services import normalize_email, valid_email
from payymo.errors import FieldError, ValidationFailed
from payymo.events.models import EventType
from payymo.events.schemas import MAX_URL
from payymo.invoicing.connections import _is_internal  # the one SSRF rule for tenant URLs


def checked_url(raw: str, *, strict: bool, field: str) -> str:
    """A URL events may be POSTed to: http(s) with a host (https, and public, in production)."""
    url = raw.strip()
    if problem := _url_problem(url, strict=strict):
        raise ValidationFailed(detail=f"invalid {field}", errors=[FieldError(field, problem)])
    return url


def _url_problem(url: str, *, strict: bool) -> str | None:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - reading the port is what validates it
    except ValueError:
        return "is not a URL"
    allowed = ("https",) if strict else ("http", "https")
    if parts.scheme not in allowed or not parts.hostname:
        return f"must be an {' or '.join(allowed)} URL with a host"
    if parts.username or parts.password or parts.fragment:
        return "must not contain credentials or a fragment"
    if any(c.isspace() or ord(c) < 32 for c in url):
        return "must not contain spaces or control characters"
    if strict and _is_internal(parts.hostname):
        return "must be a public address"
    return f"must be at most {MAX_URL} characters" if len(url) > MAX_URL else None


def checked_email(raw: str, *, field: str) -> str:
    email = normalize_email(raw)
    if not valid_email(email):
        raise ValidationFailed(
            detail=f"invalid {field}", errors=[FieldError(field, "must be an email address")]
        )
    return email


def event_names(events: Iterable[EventType]) -> list[str]:
    """The stored form of a subscription: sorted, without duplicates (empty: every type)."""
    return sorted({EventType(e).value for e in events})


def masked_url(url: str) -> str:
    """Scheme and host, and the last four characters: https://hooks.slack.com/…9xQz."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or '?'}/…{url[-4:] if len(url) > 40 else ''}"
