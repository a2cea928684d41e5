"""Notifications: email (a digest for payments needing review) and Slack-compatible webhooks,
retried like webhooks, and never revealing the Slack URL."""

from __future__ import annotations

import json

from payymo.events.delivery_models import Channel, DeliveryStatus
from payymo.events.models import EventType
from payymo.mail import Mail
from tests.integration.api.conftest import Api, new_member
from tests.integration.api.helpers import ok
from tests.integration.events.helpers import (
    Receiver,
    add_channel,
    add_event,
    deliveries,
    run_dispatch,
)

SLACK_PATH = "/services/T0000000/B0000000/s3cr3tT0kenXXXXXXXXXXXXX"


class BrokenMailer:
    def send(self, mail: Mail) -> None:
        raise ConnectionRefusedError("SMTP server refused the connection")


def test_reviews_of_one_dispatch_are_one_digest_email_per_channel(api: Api) -> None:
    owner = new_member(api)
    add_channel(api, owner.tenant_id, "email", "Payments@Example.com")
    add_channel(api, owner.tenant_id, "email", "review@example.com", [EventType.MATCH_NEEDS_REVIEW])
    for _ in range(3):
        add_event(api, owner.tenant_id, EventType.MATCH_NEEDS_REVIEW)
    add_event(api, owner.tenant_id, EventType.POSTING_FAILED)

    run = run_dispatch(api, owner.tenant_id)

    assert (run.events, run.delivered) == (4, 7)
    mails = sorted(api.mailer.outbox, key=lambda m: (m.to, m.subject))
    assert [(m.to, m.subject) for m in mails] == [
        ("payments@example.com", "[Payymo] 3 payments need review"),
        ("payments@example.com", "[Payymo] Posting to invoice #1001 failed"),
        ("review@example.com", "[Payymo] 3 payments need review"),
    ]
    digest = mails[0].body
    assert digest.count("- confidence 62% (amount matches invoice #1002; payer name differs)") == 3
    assert "WHMCS answered 503" in mails[1].body
    found = deliveries(api, owner.tenant_id)
    assert len(found) == 7
    assert {(d.channel, d.status, d.attempts) for d in found} == {
        (Channel.EMAIL, DeliveryStatus.DELIVERED, 1)
    }


def test_a_mail_failure_is_retried(api: Api) -> None:
    owner = new_member(api)
    add_channel(api, owner.tenant_id, "email", "payments@example.com")
    add_event(api, owner.tenant_id, EventType.SYNC_FAILED, {"sync": "stripe", "error": "401"})
    memory = api.services.mailer
    api.services.mailer = BrokenMailer()
    try:
        run_dispatch(api, owner.tenant_id)
    finally:
        api.services.mailer = memory
    [failed] = deliveries(api, owner.tenant_id)
    assert (failed.status, failed.attempts) == (DeliveryStatus.FAILED, 1)
    assert failed.error == "ConnectionRefusedError: SMTP server refused the connection"

    api.clock.advance(minutes=1)
    run_dispatch(api, owner.tenant_id)
    [mail] = api.mailer.outbox
    assert mail.subject == "[Payymo] Sync with stripe failed"
    [delivered] = deliveries(api, owner.tenant_id)
    assert (delivered.status, delivered.attempts) == (DeliveryStatus.DELIVERED, 2)


def test_slack_gets_a_text_per_event_and_one_review_digest(api: Api, receiver: Receiver) -> None:
    owner = new_member(api)
    add_channel(api, owner.tenant_id, "slack", receiver.url + SLACK_PATH)
    add_event(api, owner.tenant_id, EventType.POSTING_FAILED)
    for _ in range(2):
        add_event(api, owner.tenant_id, EventType.MATCH_NEEDS_REVIEW)

    run = run_dispatch(api, owner.tenant_id)

    assert run.delivered == 3
    texts = [json.loads(r.body) for r in receiver.received]
    assert [r.path for r in receiver.received] == [SLACK_PATH] * 2
    assert texts[0]["text"].startswith("*Posting to invoice #1001 failed*\n")
    assert texts[1]["text"].startswith("*2 payments need review*\n")
    assert list(texts[0]) == ["text"]


def test_the_slack_url_is_never_shown_or_recorded(api: Api) -> None:
    owner = new_member(api)
    with Receiver() as gone:
        url = gone.url + SLACK_PATH
    add_channel(api, owner.tenant_id, "slack", url)
    add_event(api, owner.tenant_id, EventType.POSTING_FAILED)
    run_dispatch(api, owner.tenant_id)
    [failed] = deliveries(api, owner.tenant_id)
    assert failed.status is DeliveryStatus.FAILED
    assert failed.error is not None
    assert "s3cr3t" not in failed.error
    assert gone.url not in failed.error

    headers = owner.headers()
    listed = api.client().get("/api/v1/notification-channels", headers=headers)
    [shown] = ok(listed)["data"]
    assert shown["target"] == "http://127.0.0.1/…XXXX"
    audit = api.client().get("/api/v1/audit-log", headers=headers).get_data(as_text=True)
    assert "s3cr3t" not in audit
    assert "s3cr3t" not in listed.get_data(as_text=True)
