"""Managing inbound webhooks through the Integration API, and what any receiver answers
before a delivery's signature is even looked at."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from payymo.api.registry import ENDPOINTS
from payymo.auth.roles import Role
from tests.integration.api.conftest import Api, build_api, new_member
from tests.integration.api.helpers import audited_actions, ok, problem
from tests.integration.webhooks.conftest import MANAGE, Hooks, gocardless_signed, stripe_event


@pytest.fixture
def strict(sqlite_url: str) -> Iterator[Api]:
    """An app whose per-caller rate is three requests a day (counted per day: a sliding
    window of a minute lets one more through when the requests straddle a minute)."""
    api = build_api(sqlite_url, rate_limit_api="3/day")
    yield api
    api.services.db.dispose()


def listed(hooks: Hooks) -> dict[str, dict[str, object]]:
    body = ok(hooks.api.client().get(MANAGE, headers=hooks.headers))
    return {entry["provider"]: entry for entry in body["data"]}


def test_every_provider_is_listed_without_a_url_until_one_is_made(hooks: Hooks) -> None:
    assert listed(hooks) == {
        provider: {
            "provider": provider,
            "url": None,
            "signing_secret_set": False,
            "rotated_at": None,
        }
        for provider in ("stripe", "gocardless", "whmcs")
    }


def test_a_new_webhook_shows_its_secret_once_and_the_listing_never(hooks: Hooks) -> None:
    created = {provider: hooks.rotate(provider) for provider in ("stripe", "gocardless", "whmcs")}

    assert created["stripe"]["secret"] is None  # Stripe makes its own (whsec_…)
    assert created["gocardless"]["secret"]
    assert created["whmcs"]["secret"]
    public_url = hooks.api.services.settings.public_url.rstrip("/")
    for provider, answer in created.items():
        assert answer["url"].startswith(f"{public_url}/webhooks/{provider}/")
        assert answer["signing_secret_set"] is True  # Stripe's came with the connection
    text = hooks.api.client().get(MANAGE, headers=hooks.headers).get_data(as_text=True)
    assert {p: e["url"] for p, e in listed(hooks).items()} == {
        p: a["url"] for p, a in created.items()
    }
    assert created["gocardless"]["secret"] not in text
    assert created["whmcs"]["secret"] not in text
    assert 'secret"' not in text.replace("signing_secret_set", "")


def test_rotating_retires_the_old_url_and_secret(hooks: Hooks) -> None:
    first = hooks.rotate("gocardless")
    second = hooks.rotate("gocardless")
    assert second["url"] != first["url"]
    assert second["secret"] != first["secret"]
    body = json.dumps({"events": []}).encode()

    old_url = hooks.post(first["url"], body, gocardless_signed(body, first["secret"]))
    problem(old_url, 404, "not-found")
    old_secret = hooks.post(second["url"], body, gocardless_signed(body, first["secret"]))
    problem(old_secret, 498, "invalid-signature")
    ok(hooks.post(second["url"], body, gocardless_signed(body, second["secret"])))
    actions = audited_actions(hooks.api, hooks.headers, object_type="inbound_webhook")
    assert actions == ["inbound_webhook.rotated", "inbound_webhook.created"]


def test_only_an_admin_may_make_webhooks_but_anyone_may_see_them(hooks: Hooks) -> None:
    viewer = hooks.owner.add_user(Role.VIEWER).headers()
    client = hooks.api.client()

    problem(client.post(f"{MANAGE}/whmcs", headers=viewer), 403, "forbidden")
    problem(client.post(f"{MANAGE}/whmcs"), 401, "unauthorized")
    assert len(ok(client.get(MANAGE, headers=viewer))["data"]) == 3


def test_a_key_that_is_unknown_or_for_another_provider_is_not_found(hooks: Hooks) -> None:
    whmcs_url = hooks.rotate("whmcs")["url"]
    key = whmcs_url.rsplit("/", 1)[1]
    body, headers = hooks.stripe(stripe_event())

    for path in (
        f"/webhooks/stripe/{key}",
        "/webhooks/stripe/nope",
        f"/webhooks/stripe/{'k' * 65}",
    ):
        problem(hooks.api.client().post(path, data=body, headers=headers), 404, "not-found")
    problem(hooks.api.client().post(f"/webhooks/paypal/{key}", data=body), 404, "not-found")
    assert hooks.events() == []


def test_another_tenants_key_never_reaches_this_tenant(hooks: Hooks) -> None:
    other = new_member(hooks.api)
    created = ok(hooks.api.client().post(f"{MANAGE}/gocardless", headers=other.headers()))
    body = json.dumps({"events": [{"id": "EV1", "resource_type": "payouts", "action": "paid"}]})
    signed = gocardless_signed(body.encode(), created["secret"])

    assert ok(hooks.post(created["url"], body.encode(), signed))["stored"] == 1
    assert hooks.events() == []
    assert listed(hooks)["gocardless"]["url"] is None


def test_a_body_over_a_megabyte_is_refused(hooks: Hooks) -> None:
    created = hooks.rotate("gocardless")
    body = b"{" + b" " * (1024 * 1024) + b"}"
    problem(
        hooks.post(created["url"], body, gocardless_signed(body, created["secret"])),
        413,
        "request-entity-too-large",
    )


def test_receivers_are_limited_per_address_not_by_the_api(strict: Api) -> None:
    client = strict.client()
    for _ in range(3):
        problem(client.post("/webhooks/stripe/unknown", data=b"{}"), 404, "not-found")
    problem(client.post("/webhooks/stripe/unknown", data=b"{}"), 429, "too-many-requests")


def test_the_receivers_are_not_part_of_the_api_document(hooks: Hooks) -> None:
    assert not [e for e in ENDPOINTS if "/webhooks/" in e.rule and "/integrations/" not in e.rule]
    document = ok(hooks.api.client().get("/api/v1/openapi.json"))
    assert not [path for path in document["paths"] if path.startswith("/webhooks")]
    assert {f"{MANAGE}", f"{MANAGE}/stripe", f"{MANAGE}/gocardless", f"{MANAGE}/whmcs"} <= set(
        document["paths"]
    )
