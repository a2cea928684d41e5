"""Stripe deliveries: verified with Stripe's SDK, stored once per event id, answered 200, and
processed afterwards into one Stripe sync."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import stripe

from payymo.webhooks.models import WebhookEventStatus
from payymo.webhooks.processing import process_events
from tests.integration.api.helpers import ok, problem
from tests.integration.webhooks.conftest import Hooks, stripe_event

DELIVERIES = 50


def test_a_signed_stripe_event_is_stored_once_and_syncs_stripe(hooks: Hooks) -> None:
    url = hooks.rotate("stripe")["url"]
    event = stripe_event()
    body, headers = hooks.stripe(event)

    assert ok(hooks.post(url, body, headers)) == {"received": 1, "stored": 1}
    assert ok(hooks.post(url, body, headers)) == {"received": 1, "stored": 0}  # a redelivery

    [stored] = hooks.events("stripe")
    assert (stored.event_id, stored.event_type) == (event["id"], "payment_intent.succeeded")
    assert stored.status is WebhookEventStatus.PROCESSED
    assert stored.processed_at is not None
    assert hooks.jobs("stripe_sync") == 1


def test_only_the_ids_of_a_stripe_event_are_kept(hooks: Hooks) -> None:
    url = hooks.rotate("stripe")["url"]
    event = stripe_event()
    ok(hooks.post(url, *hooks.stripe(event)))

    [stored] = hooks.events("stripe")
    assert stored.payload["object"] == {
        "id": event["data"]["object"]["id"],
        "object": "payment_intent",
    }
    assert "payer@example.com" not in json.dumps(stored.payload)


def test_the_same_event_delivered_50_times_at_once_is_stored_and_synced_once(
    hooks: Hooks,
) -> None:
    url = hooks.rotate("stripe")["url"]
    body, headers = hooks.stripe(stripe_event("charge.succeeded"))
    start = threading.Barrier(DELIVERIES)

    def deliver() -> tuple[int, int]:
        start.wait()
        response = hooks.post(url, body, headers)
        return response.status_code, (response.json or {}).get("stored", -1)

    with ThreadPoolExecutor(DELIVERIES) as pool:
        answers = [f.result() for f in [pool.submit(deliver) for _ in range(DELIVERIES)]]

    assert [status for status, _ in answers] == [200] * DELIVERIES
    assert sum(stored for _, stored in answers) == 1
    [stored] = hooks.events("stripe")
    assert stored.status is WebhookEventStatus.PROCESSED
    assert hooks.jobs("stripe_sync") == 1


def test_processing_an_event_again_does_nothing(hooks: Hooks) -> None:
    url = hooks.rotate("stripe")["url"]
    ok(hooks.post(url, *hooks.stripe(stripe_event("payout.paid"))))
    [stored] = hooks.events("stripe")

    again = process_events(
        hooks.api.services, tenant_id=hooks.owner.tenant_id, event_ids=[stored.id]
    )

    assert again == {"skipped": 1}
    assert hooks.jobs("stripe_sync") == 1


def test_an_event_payymo_does_not_act_on_is_ignored(hooks: Hooks) -> None:
    url = hooks.rotate("stripe")["url"]
    ok(hooks.post(url, *hooks.stripe(stripe_event("customer.created"))))

    [stored] = hooks.events("stripe")
    assert stored.status is WebhookEventStatus.IGNORED
    assert "customer.created" in (stored.error or "")
    assert hooks.jobs("stripe_sync") == 0


def test_a_bad_signature_is_refused_and_nothing_is_stored(hooks: Hooks) -> None:
    url = hooks.rotate("stripe")["url"]
    body, headers = hooks.stripe(stripe_event(), secret="whsec_someone_else")
    problem(hooks.post(url, body, headers), 400, "invalid-signature")

    genuine, signed = hooks.stripe(stripe_event())
    problem(hooks.post(url, genuine.replace(b"4500", b"1"), signed), 400, "invalid-signature")
    problem(hooks.post(url, genuine, {}), 400, "invalid-signature")
    assert hooks.events() == []


def test_a_timestamp_older_than_five_minutes_is_refused(hooks: Hooks) -> None:
    url = hooks.rotate("stripe")["url"]
    stale = hooks.stripe(stripe_event(), at=hooks.now() - 301)
    problem(hooks.post(url, *stale), 400, "invalid-signature")

    signed_now = hooks.stripe(stripe_event())
    hooks.api.clock.advance(seconds=301)
    problem(hooks.post(url, *signed_now), 400, "invalid-signature")
    assert hooks.events() == []

    recent = hooks.stripe(stripe_event(), at=hooks.now() - 299)
    ok(hooks.post(url, *recent))


def test_a_timestamp_more_than_five_minutes_ahead_is_refused(hooks: Hooks) -> None:
    url = hooks.rotate("stripe")["url"]
    stale = hooks.stripe(stripe_event(), at=hooks.now() - 301)
    too_old = problem(hooks.post(url, *stale), 400, "invalid-signature")
    for ahead in (3600, 301):
        future = hooks.stripe(stripe_event(), at=hooks.now() + ahead)
        assert problem(hooks.post(url, *future), 400, "invalid-signature") == too_old
    assert hooks.events() == []

    slightly_ahead = hooks.stripe(stripe_event(), at=hooks.now() + 299)
    ok(hooks.post(url, *slightly_ahead))


def test_a_malformed_body_is_refused_even_when_signed(hooks: Hooks) -> None:
    url = hooks.rotate("stripe")["url"]
    secret = hooks.providers.stripe_webhook_secret
    for body, slug in [
        (b"not json", "malformed-json"),
        (b"[1, 2]", "malformed-json"),
        (b'{"id": "evt_1", "amount": NaN, "type": "charge.succeeded"}', "malformed-json"),
        (b'{"type": "charge.succeeded"}', "bad-request"),
        (b'{"id": "evt_1\\u0000", "type": "charge.succeeded"}', "bad-request"),
    ]:
        header = stripe.WebhookSignature.generate_signature_header(
            body.decode(), secret, timestamp=hooks.now()
        )
        problem(hooks.post(url, body, {"Stripe-Signature": header}), 400, slug)
    assert hooks.events() == []


def test_without_a_signing_secret_no_stripe_delivery_is_accepted(hooks: Hooks) -> None:
    url = hooks.rotate("stripe")["url"]
    ok(hooks.api.client().delete("/api/v1/integrations/stripe", headers=hooks.headers), 204)

    problem(hooks.post(url, *hooks.stripe(stripe_event())), 400, "invalid-signature")
    listed = ok(hooks.api.client().get("/api/v1/integrations/webhooks", headers=hooks.headers))
    assert {w["provider"]: w["signing_secret_set"] for w in listed["data"]}["stripe"] is False
