"""GoCardless deliveries: batches signed with the hex HMAC of the raw body; a bad signature
gets 498, GoCardless' convention, and a paid payout syncs the bank."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from payymo.webhooks import repository
from payymo.webhooks.models import InboundProvider, WebhookEventStatus
from tests.integration.api.helpers import ok, problem
from tests.integration.webhooks.conftest import Hooks, gocardless_signed

VECTOR = Path(__file__).resolve().parents[4] / "shared" / "fixtures" / "gocardless-pro"


def batch(*events: tuple[str, str, str]) -> bytes:
    """A delivery of `(id, resource_type, action)` events, shaped like GoCardless'."""
    return json.dumps(
        {
            "events": [
                {
                    "id": event_id,
                    "created_at": "2026-11-26T08:59:00.000Z",
                    "resource_type": resource,
                    "action": action,
                    "links": {resource[:-1]: f"{resource[:2].upper()}123"},
                    "details": {"origin": "gocardless", "cause": f"{resource[:-1]}_{action}"},
                    "metadata": {},
                }
                for event_id, resource, action in events
            ],
            "meta": {"webhook_id": "WB123"},
        }
    ).encode()


def test_each_event_of_a_batch_is_stored_and_a_paid_payout_syncs_the_bank(hooks: Hooks) -> None:
    created = hooks.rotate("gocardless")
    body = batch(("EV1", "payouts", "paid"), ("EV2", "payments", "confirmed"))
    signed = gocardless_signed(body, created["secret"])

    assert ok(hooks.post(created["url"], body, signed)) == {"received": 2, "stored": 2}
    assert ok(hooks.post(created["url"], body, signed)) == {"received": 2, "stored": 0}

    paid, confirmed = hooks.events("gocardless")
    assert (paid.event_type, paid.status) == ("payouts.paid", WebhookEventStatus.PROCESSED)
    assert (confirmed.event_type, confirmed.status) == (
        "payments.confirmed",
        WebhookEventStatus.IGNORED,
    )
    linked = ok(hooks.api.client().get("/api/v1/integrations", headers=hooks.headers))
    assert hooks.jobs("bank_sync") == len(linked["bank_accounts"]) > 0  # each synced once


def test_a_bad_signature_gets_498_and_nothing_is_stored(hooks: Hooks) -> None:
    created = hooks.rotate("gocardless")
    body = batch(("EV1", "payouts", "paid"))

    for headers in (gocardless_signed(body, "not-the-secret"), {}, {"Webhook-Signature": "é"}):
        problem(hooks.post(created["url"], body, headers), 498, "invalid-signature")
    tampered = body.replace(b"EV1", b"EV9")
    problem(
        hooks.post(created["url"], tampered, gocardless_signed(body, created["secret"])),
        498,
        "invalid-signature",
    )
    assert hooks.events() == []


def test_a_signed_body_that_is_not_a_batch_is_refused(hooks: Hooks) -> None:
    created = hooks.rotate("gocardless")
    for body, slug in [
        (b"{", "malformed-json"),
        (b'{"events": {}}', "bad-request"),
        (b'{"events": [{"id": "EV1"}]}', "bad-request"),
    ]:
        signed = gocardless_signed(body, created["secret"])
        problem(hooks.post(created["url"], body, signed), 400, slug)
    assert hooks.events() == []


def test_gocardless_official_test_vector_verifies(hooks: Hooks) -> None:
    """Their signed sample body, under the secret it was signed with, is accepted as is."""
    body = (VECTOR / "webhook_body.json").read_bytes().rstrip(b"\n")
    signature = "2693754819d3e32d7e8fcb13c729631f316c6de8dc1cf634d6527f1c07276e7e"
    created = hooks.rotate("gocardless")
    _use_secret(hooks, "ED7D658C-D8EB-4941-948B-3973214F2D49")

    answer: dict[str, Any] = ok(hooks.post(created["url"], body, {"Webhook-Signature": signature}))
    assert answer["received"] == answer["stored"] == len(json.loads(body)["events"])


def _use_secret(hooks: Hooks, secret: str) -> None:
    services, tenant_id = hooks.api.services, hooks.owner.tenant_id
    with services.db.unit_of_work(tenant_id) as session:
        webhook = repository.for_provider(session, tenant_id, InboundProvider.GOCARDLESS)
        assert webhook is not None
        webhook.secret_encrypted = services.box.encrypt(secret)
