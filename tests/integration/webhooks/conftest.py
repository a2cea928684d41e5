"""Webhook tests: the app on SQLite and on PostgreSQL (as the RLS-bound role), the three
provider simulators, a tenant connected to all of them, and deliveries signed the way each
provider signs them."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest
import stripe
from flask import Flask
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from payymo import migrate
from payymo.jobs.models import JobRun
from payymo.sandbox.common import SimServer
from payymo.webhooks.models import WebhookEvent
from tests.integration.api.conftest import Api, Member
from tests.integration.api.helpers import ok
from tests.integration.api.providers import (
    Providers,
    connect_everything,
    provider_api,
    reset_simulators,
    serve_providers,
)

MANAGE = "/api/v1/integrations/webhooks"


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """These tests commit through a real app, so they get a SQLite file of their own."""
    url = f"sqlite:///{tmp_path_factory.mktemp('webhooks-sqlite') / 'payymo.db'}"
    migrate.upgrade(url)
    return url


def empty_stripe() -> Flask:
    """A Stripe account with nothing in it, so the sync a webhook asks for runs (and leaves
    its job row) without handing the seeded simulator's payments on to reconciliation."""
    app = Flask("empty-stripe")

    @app.get("/v1/account")
    def account() -> dict[str, Any]:
        return {"id": "acct_webhooks", "object": "account"}

    @app.get("/v1/<path:resource>")
    def listing(resource: str) -> dict[str, Any]:
        return {"object": "list", "url": f"/v1/{resource}", "has_more": False, "data": []}

    @app.post("/_sim/reset")
    def reset() -> tuple[str, int]:
        return "", 204

    return app


@pytest.fixture(scope="module")
def providers() -> Iterator[Providers]:
    """The WHMCS and bank simulators, and an empty Stripe account."""
    with SimServer(empty_stripe()) as stripe_server:
        for simulators in serve_providers():
            yield replace(simulators, stripe_url=stripe_server.url)


@dataclass
class Hooks:
    """A tenant connected to the simulators, and its webhook receivers."""

    api: Api
    owner: Member
    headers: dict[str, str]
    providers: Providers

    def rotate(self, provider: str) -> dict[str, Any]:
        """Create (or rotate) the provider's webhook; the answer holds its URL and secret."""
        created: dict[str, Any] = ok(
            self.api.client().post(f"{MANAGE}/{provider}", headers=self.headers)
        )
        return created

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> TestResponse:
        path = url.removeprefix(self.api.services.settings.public_url.rstrip("/"))
        return self.api.client().post(path, data=body, headers=headers)

    def now(self) -> int:
        return int(self.api.clock.now().timestamp())

    def stripe(
        self, event: dict[str, Any], *, at: int | None = None, secret: str = ""
    ) -> tuple[bytes, dict[str, str]]:
        """The event's body and its Stripe-Signature, made by Stripe's own SDK."""
        payload = json.dumps(event)
        header = stripe.WebhookSignature.generate_signature_header(
            payload, secret or self.providers.stripe_webhook_secret, timestamp=at or self.now()
        )
        return payload.encode(), {"Stripe-Signature": header}

    def events(self, provider: str | None = None) -> list[WebhookEvent]:
        with self.api.services.db.unit_of_work(self.owner.tenant_id) as session:
            query = select(WebhookEvent).where(WebhookEvent.tenant_id == self.owner.tenant_id)
            if provider:
                query = query.where(WebhookEvent.provider == provider)
            return list(session.scalars(query.order_by(WebhookEvent.event_id)))

    def jobs(self, kind: str) -> int:
        """How many times a sync of `kind` ran for the tenant (its job rows)."""
        with self.api.services.db.unit_of_work(self.owner.tenant_id) as session:
            return (
                session.scalar(
                    select(func.count())
                    .select_from(JobRun)
                    .where(JobRun.tenant_id == self.owner.tenant_id, JobRun.kind == kind)
                )
                or 0
            )


def gocardless_signed(body: bytes, secret: str) -> dict[str, str]:
    return {"Webhook-Signature": hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()}


def whmcs_signed(body: bytes, secret: str, timestamp: int) -> dict[str, str]:
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return {"X-Payymo-Timestamp": str(timestamp), "X-Payymo-Signature": f"v1={digest}"}


def stripe_event(kind: str = "payment_intent.succeeded", **extra: Any) -> dict[str, Any]:
    """A Stripe event as delivered: the object in full, customer details included."""
    return {
        "id": f"evt_{uuid.uuid4().hex[:24]}",
        "object": "event",
        "api_version": "2026-10-28.endive",
        "created": 1_795_683_600,
        "livemode": False,
        "pending_webhooks": 1,
        "type": kind,
        "data": {
            "object": {
                "id": f"pi_{uuid.uuid4().hex[:24]}",
                "object": "payment_intent",
                "amount": 4500,
                "currency": "eur",
                "receipt_email": "payer@example.com",
                "metadata": {"whmcs_invoice_id": "1001"},
            }
        },
        **extra,
    }


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def hooks(request: pytest.FixtureRequest, providers: Providers) -> Iterator[Hooks]:
    if request.param == "sqlite":
        api = provider_api(request.getfixturevalue("sqlite_url"), providers)
    else:
        api = provider_api(request.getfixturevalue("postgres_url"), providers)
    reset_simulators(providers)  # the bank's daily quota, spent by each tenant's linking
    owner, headers = connect_everything(api, providers)
    yield Hooks(api, owner, headers, providers)
    api.services.db.dispose()
