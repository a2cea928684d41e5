"""Reading a provider's delivery: the signature first, then the events in the body.

Pure: the raw body, its signature headers, the signing secret and the time in; the events out,
or a problem. Nothing is stored before all of it has passed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import stripe

from payymo.bodies import parse_json, unstorable_text
from payymo.errors import BadRequest, MalformedJson, ProblemError
from payymo.webhooks.signatures import verify_hmac_sha256_hex

TOLERANCE_SECONDS = 300
STRIPE_SIGNATURE = "Stripe-Signature"
GOCARDLESS_SIGNATURE = "Webhook-Signature"
WHMCS_TIMESTAMP = "X-Payymo-Timestamp"
WHMCS_SIGNATURE = "X-Payymo-Signature"
SIGNATURE_HEADERS = (STRIPE_SIGNATURE, GOCARDLESS_SIGNATURE, WHMCS_TIMESTAMP, WHMCS_SIGNATURE)
MAX_TEXT = 128  # webhook_events.event_id and event_type
_TIMESTAMP_RE = re.compile(r"[0-9]{1,12}")


class InvalidSignature(ProblemError):
    status, slug, title = 400, "invalid-signature", "Invalid webhook signature"


class InvalidToken(InvalidSignature):
    """GoCardless' convention for a bad signature: 498 Token Invalid (it then retries)."""

    status, title = 498, "Token invalid"


@dataclass(frozen=True)
class ReceivedEvent:
    event_id: str
    event_type: str
    payload: dict[str, Any]


def stripe_events(
    body: bytes, headers: Mapping[str, str], *, secret: str | None, now: datetime
) -> list[ReceivedEvent]:
    """The one event of a Stripe delivery, signed `t=<unix>,v1=<hex>` (verified by the SDK)."""
    header = headers.get(STRIPE_SIGNATURE, "")
    if not secret:
        raise InvalidSignature(detail="no Stripe signing secret is set (PUT …/integrations/stripe)")
    try:
        # The SDK's own tolerance reads time.time(); ours is checked below on the app's clock.
        stripe.WebhookSignature.verify_header(body, header, secret, tolerance=None)
    except stripe.SignatureVerificationError:
        raise InvalidSignature(detail="the Stripe-Signature does not match the body") from None
    except UnicodeDecodeError:
        raise MalformedJson(detail="the body is not UTF-8 text") from None
    _check_age(_stripe_timestamp(header), now)
    event = _json_object(body)
    return [ReceivedEvent(_text(event, "id"), _text(event, "type"), _stripe_summary(event))]


def gocardless_events(
    body: bytes, headers: Mapping[str, str], *, secret: str | None
) -> list[ReceivedEvent]:
    """The batch of a GoCardless delivery, signed with the hex HMAC of the raw body."""
    if not secret or not verify_hmac_sha256_hex(
        secret, body, headers.get(GOCARDLESS_SIGNATURE, "")
    ):
        raise InvalidToken(detail="the Webhook-Signature does not match the body")
    events = _json_object(body).get("events")
    if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
        raise BadRequest(detail='expected {"events": [...]}')
    return [
        ReceivedEvent(
            _text(e, "id"), f"{_text(e, 'resource_type')}.{_text(e, 'action')}"[:MAX_TEXT], e
        )
        for e in events
    ]


def whmcs_events(
    body: bytes, headers: Mapping[str, str], *, secret: str | None, now: datetime
) -> list[ReceivedEvent]:
    """The event Payymo's WHMCS hook script sent, signed `v1=<hex>` over `<timestamp>.<body>`."""
    timestamp = headers.get(WHMCS_TIMESTAMP, "").strip()
    if not _TIMESTAMP_RE.fullmatch(timestamp):
        raise InvalidSignature(detail=f"{WHMCS_TIMESTAMP} must be a unix time in seconds")
    signed = timestamp.encode() + b"." + body
    candidates = [
        value.strip().removeprefix("v1=")
        for value in headers.get(WHMCS_SIGNATURE, "").split(",")
        if value.strip().startswith("v1=")
    ]
    if not secret or not any(verify_hmac_sha256_hex(secret, signed, c) for c in candidates):
        raise InvalidSignature(detail=f"the {WHMCS_SIGNATURE} does not match the body")
    _check_age(int(timestamp), now)
    event = _json_object(body)
    invoice_id = event.get("invoiceid")
    if isinstance(invoice_id, bool) or not isinstance(invoice_id, int | str):
        raise BadRequest(detail="the event has no invoiceid")
    payload = {
        "id": _text(event, "id"),
        "event": _text(event, "event"),
        "invoiceid": str(invoice_id)[:32],
        "occurred_at": str(event.get("occurred_at") or "")[:64],
    }
    return [ReceivedEvent(payload["id"], payload["event"], payload)]


def _check_age(timestamp: int, now: datetime) -> None:
    """Refuse replays: a signed time further than the tolerance from now, either way (a time
    ahead of the clock would otherwise keep a captured delivery replayable until it passed)."""
    if abs(now.timestamp() - timestamp) > TOLERANCE_SECONDS:
        raise InvalidSignature(
            detail=f"the signed timestamp is more than {TOLERANCE_SECONDS} s from Payymo's clock"
        )


def _stripe_timestamp(header: str) -> int:
    """`t` of a header the SDK has just verified, read the way the SDK reads it."""
    items = [item.split("=", 2) for item in header.split(",")]
    return int(next(item[1] for item in items if item[0] == "t"))


def _stripe_summary(event: dict[str, Any]) -> dict[str, Any]:
    """What is kept of a Stripe event: its ids. The objects carry customer and card details,
    which Payymo never stores; the sync reads what it needs from Stripe."""
    data = event.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    kept = {
        key: event[key]
        for key in ("id", "type", "created", "livemode", "api_version", "account")
        if isinstance(event.get(key), str | int | bool)
    }
    if isinstance(obj, dict):
        kept["object"] = {k: obj[k] for k in ("id", "object") if isinstance(obj.get(k), str)}
    return kept


def _json_object(body: bytes) -> dict[str, Any]:
    value = parse_json(body)
    if not isinstance(value, dict):
        raise MalformedJson(detail="the body is not a JSON object")
    if bad := unstorable_text(value):
        raise BadRequest(detail=f"{bad} contains a NUL character or an unpaired surrogate")
    return value


def _text(document: dict[str, Any], key: str) -> str:
    value = document.get(key)
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT:
        raise BadRequest(detail=f"each event needs a {key!r} of 1 to {MAX_TEXT} characters")
    return value
