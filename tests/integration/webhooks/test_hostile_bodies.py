"""Hostile deliveries to the three receivers: a correctly signed body nested too deep is a 400,
and a body over 1 MiB is a 413 whether it says its length or comes chunked without one (a
chunked body cut short at the limit would fail its signature instead: 498 for GoCardless, which
retries that for ever)."""

from __future__ import annotations

import pytest
import stripe
from werkzeug.test import TestResponse

from tests.integration.api.helpers import ok, problem
from tests.integration.webhooks.conftest import Hooks, gocardless_signed, whmcs_signed

PROVIDERS = ["stripe", "gocardless", "whmcs"]
MAX_BODY_BYTES = 1024 * 1024  # docs/integrations.md


def _signed(hooks: Hooks, provider: str, body: bytes) -> tuple[str, dict[str, str]]:
    """The provider's receiver URL, and headers signing `body` the way the provider does."""
    created = hooks.rotate(provider)
    if provider == "stripe":
        header = stripe.WebhookSignature.generate_signature_header(
            body.decode(), hooks.providers.stripe_webhook_secret, timestamp=hooks.now()
        )
        return created["url"], {"Stripe-Signature": header}
    if provider == "gocardless":
        return created["url"], gocardless_signed(body, created["secret"])
    return created["url"], whmcs_signed(body, created["secret"], hooks.now())


def _post_chunked(hooks: Hooks, url: str, body: bytes, headers: dict[str, str]) -> TestResponse:
    """As gunicorn hands on a chunked request: no Content-Length, a stream it terminates."""
    path = url.removeprefix(hooks.api.services.settings.public_url.rstrip("/"))
    return hooks.api.client().post(
        path,
        data=body,
        headers={**headers, "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )


def _padded(size: int) -> bytes:
    """A JSON object of exactly `size` bytes that every provider's reader accepts as a body."""
    head = b'{"events": [], "pad": "'
    return head + b" " * (size - len(head) - 2) + b'"}'


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_signed_body_nested_a_thousand_deep_is_a_400(hooks: Hooks, provider: str) -> None:
    body = b'{"id": ' + b"[" * 1000 + b"]" * 1000 + b"}"
    url, headers = _signed(hooks, provider, body)

    refused = problem(hooks.post(url, body, headers), 400, "malformed-json")

    assert "nested too deep" in refused["detail"]
    assert hooks.events() == []


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_chunked_body_over_a_megabyte_is_a_413(hooks: Hooks, provider: str) -> None:
    body = _padded(MAX_BODY_BYTES + 1)
    url, headers = _signed(hooks, provider, body)

    problem(_post_chunked(hooks, url, body, headers), 413, "request-entity-too-large")
    problem(hooks.post(url, body, headers), 413, "request-entity-too-large")  # Content-Length
    assert hooks.events() == []


def test_a_chunked_body_of_exactly_a_megabyte_is_read_whole(hooks: Hooks) -> None:
    body = _padded(MAX_BODY_BYTES)
    url, headers = _signed(hooks, "gocardless", body)

    assert ok(_post_chunked(hooks, url, body, headers)) == {"received": 0, "stored": 0}
