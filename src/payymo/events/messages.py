"""What people read about an event: an email subject and body, or a Slack line. Pure.

`match.needs_review` events of one dispatch are summed up in one digest per channel, so the
first reconciliation of hundreds of transactions sends one message, not hundreds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from payymo.events.models import EventType

DIGEST_LINES = 50


@dataclass(frozen=True)
class Message:
    subject: str
    text: str

    def email_body(self, public_url: str) -> str:
        return (
            f"{self.text}\n\nOpen Payymo: {public_url}\n\n"
            "-- \nYou get this because this address is a notification channel of your "
            "Payymo workspace; an admin can change which events it receives."
        )

    def slack_text(self) -> str:
        return f"*{self.subject}*\n{self.text}"


def describe(event_type: str, payload: dict[str, Any]) -> Message:
    """The message about one event."""
    p = _Payload(payload)
    match event_type:
        case EventType.MATCH_AUTO_POSTED:
            return Message(
                f"Payment posted to invoice #{p['whmcs_invoice_id']}",
                f"Payymo matched a payment of {p.money} and posted it to WHMCS invoice "
                f"#{p['whmcs_invoice_id']} (transaction id {p['transid']}).",
            )
        case EventType.MATCH_NEEDS_REVIEW:
            return Message("A payment needs review", f"A payment needs review: {_review_line(p)}")
        case EventType.POSTING_FAILED:
            then = (
                "Payymo will try again."
                if payload.get("will_retry")
                else "It will not be retried: please look at it."
            )
            return Message(
                f"Posting to invoice #{p['whmcs_invoice_id']} failed",
                f"Posting {p.money} to WHMCS invoice #{p['whmcs_invoice_id']} failed: "
                f"{p['error']}. {then}",
            )
        case EventType.CONNECTION_EXPIRING:
            return Message(
                f"Bank consent ends in {p['days_left']} day(s)",
                f"The bank connection ({p['institution_id']}) stops syncing at "
                f"{p['expires_at']}: renew its consent to keep bank transactions coming in.",
            )
        case EventType.SYNC_FAILED:
            return Message(
                f"Sync with {p['sync']} failed",
                f"Syncing {p['sync']} failed: {p['error']}. Payymo keeps trying on its "
                "schedule; please check the connection.",
            )
    return Message(f"Payymo event {event_type}", f"Payymo event {event_type}: {payload}")


def digest(payloads: list[dict[str, Any]]) -> Message:
    """One message about several `match.needs_review` events."""
    if len(payloads) == 1:
        return describe(EventType.MATCH_NEEDS_REVIEW, payloads[0])
    lines = [f"- {_review_line(_Payload(p))}" for p in payloads[:DIGEST_LINES]]
    if len(payloads) > DIGEST_LINES:
        lines.append(f"- … and {len(payloads) - DIGEST_LINES} more")
    return Message(
        f"{len(payloads)} payments need review",
        f"{len(payloads)} payments need review in Payymo:\n" + "\n".join(lines),
    )


def _review_line(p: _Payload) -> str:
    confidence = p.raw.get("confidence")
    share = f"{float(confidence):.0%}" if isinstance(confidence, int | float) else "unknown"
    reasons = p.raw.get("reasons") or []
    why = "; ".join(str(r) for r in reasons[:3]) if isinstance(reasons, list) else ""
    return f"confidence {share}" + (f" ({why})" if why else "")


class _Payload:
    """Payload fields for text: a missing one reads as a question mark, not a KeyError."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw

    def __getitem__(self, key: str) -> str:
        value = self.raw.get(key)
        return "?" if value is None else str(value)

    @property
    def money(self) -> str:
        return f"{self['amount']} {self['currency']}"
