"""Sending one message: a signed webhook POST, an email, or a Slack-compatible webhook POST.

Each returns an `Outcome` instead of raising. Error texts never contain the target's URL
(a Slack webhook URL is a credential) and nothing here logs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from payymo import __version__
from payymo.events.signing import EVENT_ID_HEADER, signed_headers
from payymo.mail import Mail, Mailer

USER_AGENT = f"Payymo-Webhooks/{__version__}"
UNREADABLE_SECRET = "not sent: no configured encryption key opens the stored secret"  # noqa: S105 - an error text
ERROR_CHARS = 500
RESPONSE_EXCERPT_CHARS = 200


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status: int | None = None  # the HTTP status, when there was an answer
    error: str | None = None
    unreachable: bool = False  # no answer at all: don't try this target again in this run


@dataclass(frozen=True)
class WebhookEvent:
    id: str
    type: str
    created_at: datetime
    data: dict[str, Any]

    def body(self) -> bytes:
        document = {
            "id": self.id,
            "type": self.type,
            "created_at": self.created_at.isoformat(),
            "data": self.data,
        }
        return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


def post_webhook(
    client: httpx.Client, *, url: str, secret: str, event: WebhookEvent, now: datetime
) -> Outcome:
    """POST the event, signed, to a tenant's endpoint; any 2xx answer delivers it."""
    body = event.body()
    headers = {
        "Content-Type": "application/json",
        EVENT_ID_HEADER: event.id,
        **signed_headers(secret, int(now.timestamp()), body),
    }
    return _post(client, url, body, headers)


def post_slack(client: httpx.Client, *, url: str, text: str) -> Outcome:
    """POST `{"text": ...}` to a Slack-compatible incoming webhook."""
    body = json.dumps({"text": text}, ensure_ascii=False).encode()
    return _post(client, url, body, {"Content-Type": "application/json"})


def send_email(mailer: Mailer, *, to: str, subject: str, body: str) -> Outcome:
    try:
        mailer.send(Mail(to=to, subject=f"[Payymo] {subject}", body=body))
    except Exception as exc:  # any mail failure is a failed delivery, to be retried
        return Outcome(False, error=_clip(f"{type(exc).__name__}: {exc}"), unreachable=True)
    return Outcome(True)


def http_client(timeout: float) -> httpx.Client:
    """The client a dispatch run sends with: no redirects followed, our user agent."""
    return httpx.Client(timeout=timeout, follow_redirects=False, headers={"User-Agent": USER_AGENT})


def _post(client: httpx.Client, url: str, body: bytes, headers: dict[str, str]) -> Outcome:
    try:
        response = client.post(url, content=body, headers=headers)
    except httpx.TimeoutException:
        return Outcome(False, error="timed out", unreachable=True)
    except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
        return Outcome(False, error=_concealed(exc, url), unreachable=True)
    if 200 <= response.status_code < 300:
        return Outcome(True, status=response.status_code)
    excerpt = response.text[:RESPONSE_EXCERPT_CHARS].replace("\x00", "").strip()
    error = f"HTTP {response.status_code}" + (f": {excerpt}" if excerpt else "")
    return Outcome(False, status=response.status_code, error=_clip(error.replace(url, "<url>")))


def _concealed(exc: Exception, url: str) -> str:
    message = str(exc).replace(url, "<url>") or "no answer"
    return _clip(f"{type(exc).__name__}: {message}")


def _clip(text: str) -> str:
    return text[:ERROR_CHARS]
