"""Simulators of all three providers on loopback, and the API steps that connect a tenant to
them; shared by the Integration API and posting tests."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from payymo.sandbox import gocardless, stripe, whmcs
from payymo.sandbox.common import SimServer
from tests.integration.api.conftest import Api, Member, build_api, new_member
from tests.integration.api.helpers import ok

BASE = "/api/v1/integrations"


@dataclass
class Providers:
    """Simulators with credentials unique to this run, so a dump can be grepped for them."""

    whmcs_url: str
    stripe_url: str
    gocardless_url: str
    whmcs_identifier: str
    whmcs_secret: str
    stripe_key: str
    gocardless_id: str
    gocardless_key: str
    whmcs_access_key: str = ""
    stripe_webhook_secret: str = ""

    def secrets(self) -> list[str]:
        return [
            self.whmcs_identifier,
            self.whmcs_secret,
            self.whmcs_access_key,
            self.stripe_key,
            self.stripe_webhook_secret,
            self.gocardless_key,
        ]


def serve_providers() -> Iterator[Providers]:
    """Start the three simulators (the `providers` fixture in conftest wraps this)."""
    tag = uuid.uuid4().hex[:12]
    creds = {
        "whmcs_identifier": f"whmcs-id-{tag}",
        "whmcs_secret": f"whmcs-secret-{tag}",
        "stripe_key": f"rk_test_{tag}",
        "gocardless_id": f"gc-id-{tag}",
        "gocardless_key": f"gc-key-{tag}",
    }
    servers = [
        SimServer(
            whmcs.create_app(identifier=creds["whmcs_identifier"], secret=creds["whmcs_secret"])
        ),
        SimServer(stripe.create_app(api_keys=(creds["stripe_key"],))),
        SimServer(
            gocardless.create_app(
                secret_id=creds["gocardless_id"], secret_key=creds["gocardless_key"]
            )
        ),
    ]
    for server in servers:
        server.start()
    yield Providers(
        servers[0].url,
        servers[1].url,
        f"{servers[2].url}/api/v2",
        **creds,
        whmcs_access_key=f"access-{tag}",
        stripe_webhook_secret=f"whsec_{tag}",
    )
    for server in servers:
        server.stop()


def provider_api(url: str, providers: Providers, role: str = "", **overrides: Any) -> Api:
    return build_api(
        url,
        role,
        stripe_api_base=providers.stripe_url,
        gocardless_base_url=providers.gocardless_url,
        gocardless_secret_id=providers.gocardless_id,
        gocardless_secret_key=providers.gocardless_key,
        **overrides,
    )


def connect_everything(
    api: Api, providers: Providers, owner: Member | None = None
) -> tuple[Member, dict[str, str]]:
    """Connect WHMCS, Stripe and a bank (started and finished) for `owner`, or a new tenant's."""
    owner = owner or new_member(api)
    headers = owner.headers()
    client = api.client()
    ok(
        client.put(
            f"{BASE}/whmcs",
            headers=headers,
            json={
                "base_url": providers.whmcs_url,
                "identifier": providers.whmcs_identifier,
                "secret": providers.whmcs_secret,
                "access_key": providers.whmcs_access_key,
            },
        )
    )
    stripe_body = {
        "api_key": providers.stripe_key,
        "webhook_secret": providers.stripe_webhook_secret,
    }
    ok(client.put(f"{BASE}/stripe", headers=headers, json=stripe_body))
    started = ok(
        client.post(
            f"{BASE}/bank/connections",
            headers=headers,
            json={
                "institution_id": "SANDBOXFINANCE_SFIN0000",
                "redirect_url": "https://app.example.com/bank/callback",
            },
        ),
        201,
    )
    consent = httpx.get(started["link"], params={"action": "approve"}, follow_redirects=False)
    reference = parse_qs(urlsplit(consent.headers["location"]).query)["ref"][0]
    linked = ok(
        client.post(
            f"{BASE}/bank/connections/callback", headers=headers, json={"reference": reference}
        )
    )
    assert linked["status"] == "active"
    return owner, headers


def reset_simulators(providers: Providers) -> None:
    """Fresh simulator state (the bank's daily quota included) for a test that links again."""
    for base in (
        providers.whmcs_url,
        providers.stripe_url,
        providers.gocardless_url.removesuffix("/api/v2"),
    ):
        httpx.post(f"{base}/_sim/reset").raise_for_status()


def approved_posting(api: Api, providers: Providers) -> tuple[dict[str, str], dict[str, Any]]:
    """Connect, sync, decide, and approve one automatic decision: one posting is due."""
    _, headers = connect_everything(api, providers)
    client = api.client()
    ok(client.post(f"{BASE}/whmcs/sync", headers=headers))
    account = ok(client.get(BASE, headers=headers))["bank_accounts"][0]
    ok(client.post(f"{BASE}/bank/accounts/{account['id']}/sync", headers=headers))
    ok(client.post("/api/v1/reconciliation/run", headers=headers))
    listed = ok(client.get("/api/v1/transactions?limit=200", headers=headers))["data"]
    for tx in listed:
        detail = ok(client.get(f"/api/v1/transactions/{tx['id']}", headers=headers))
        if detail["decision"] and detail["decision"]["status"] == "auto":
            approved = ok(
                client.post(
                    f"/api/v1/decisions/{detail['decision']['id']}/approve",
                    headers=headers,
                    json={},
                )
            )
            return headers, approved["postings"][0]
    raise AssertionError("no automatic decision to approve")


def whmcs_payments(providers: Providers, transid: str) -> list[dict[str, Any]]:
    state = httpx.get(f"{providers.whmcs_url}/_sim/state").json()
    return [t for t in state["transactions"] if t["transid"] == transid]


def process_env(url: str, providers: Providers, role: str = "", **extra: str) -> dict[str, str]:
    """The environment of a `payymo` or `celery` subprocess on `url`, pointed at the simulators
    (the developer's own PAYYMO_ and DATABASE_ variables left out)."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("PAYYMO_", "DATABASE_"))}
    return {
        **keep,
        "PAYYMO_ENV": "testing",
        "DATABASE_URL": url,
        "DATABASE_ROLE": role,
        "LOG_LEVEL": "WARNING",
        "STRIPE_API_BASE": providers.stripe_url,
        "GOCARDLESS_BASE_URL": providers.gocardless_url,
        "GOCARDLESS_SECRET_ID": providers.gocardless_id,
        "GOCARDLESS_SECRET_KEY": providers.gocardless_key,
        **extra,
    }
