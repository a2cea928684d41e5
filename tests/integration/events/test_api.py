"""The webhook endpoint and notification channel API: admins manage them, everyone in the
tenant reads them, the signing secret is shown once, and no other tenant sees any of it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from payymo.auth.roles import Role
from payymo.errors import ValidationFailed
from payymo.events.signing import verify
from payymo.events.targets import checked_url
from tests.integration.api.conftest import Api, Member, new_member
from tests.integration.api.helpers import audited_actions, ok, problem
from tests.integration.events.helpers import Receiver, add_event, run_dispatch

ENDPOINTS = "/api/v1/webhook-endpoints"
CHANNELS = "/api/v1/notification-channels"


def _create(api: Api, member: Member, **fields: Any) -> dict[str, Any]:
    body = {"url": "https://hooks.example.com/payymo", **fields}
    created: dict[str, Any] = ok(
        api.client().post(ENDPOINTS, json=body, headers=member.headers()), 201
    )
    return created


def test_the_signing_secret_is_shown_on_create_and_never_again(api: Api) -> None:
    owner = new_member(api)
    headers = owner.headers()
    created = _create(
        api, owner, events=["sync.failed", "posting.failed", "sync.failed"], description=" ops "
    )
    secret = created["secret"]
    assert secret.startswith("whsec_")
    assert created["events"] == ["posting.failed", "sync.failed"]
    assert (created["description"], created["is_active"]) == ("ops", True)

    client = api.client()
    one = client.get(f"{ENDPOINTS}/{created['id']}", headers=headers)
    assert "secret" not in ok(one)
    listed = client.get(ENDPOINTS, headers=headers)
    assert [e["id"] for e in ok(listed)["data"]] == [created["id"]]
    audit = client.get("/api/v1/audit-log", headers=headers)
    for response in (one, listed, audit):
        assert secret not in response.get_data(as_text=True)

    rotated = ok(client.post(f"{ENDPOINTS}/{created['id']}/rotate-secret", headers=headers))
    assert rotated["secret"].startswith("whsec_")
    assert rotated["secret"] != secret
    assert rotated["id"] == created["id"]


def test_an_admin_changes_and_removes_an_endpoint(api: Api) -> None:
    owner = new_member(api)
    headers = owner.headers()
    created = _create(api, owner)
    url = f"{ENDPOINTS}/{created['id']}"
    client = api.client()
    changed = ok(
        client.patch(
            url, json={"events": ["match.needs_review"], "is_active": False}, headers=headers
        )
    )
    assert (changed["events"], changed["is_active"]) == (["match.needs_review"], False)
    assert changed["url"] == created["url"]
    changed = ok(client.patch(url, json={"url": "http://10.0.0.7:8080/in"}, headers=headers))
    assert changed["url"] == "http://10.0.0.7:8080/in"  # not production: internal addresses too

    ok(client.delete(url, headers=headers), 204)
    problem(client.get(url, headers=headers), 404, "not-found")
    problem(client.patch(url, json={}, headers=headers), 404, "not-found")
    assert ok(client.get(ENDPOINTS, headers=headers))["data"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://files.example.com/in"}, "url"),
        ({"url": "https://user:pw@hooks.example.com/"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"url": "https://hooks.example.com:99999/"}, "url"),
        ({"url": "https://hooks.example.com/", "events": ["payment.received"]}, "events.0"),
        ({"url": "https://hooks.example.com/", "secret": "mine"}, "secret"),
    ],
)
def test_a_bad_endpoint_is_refused_with_field_errors(
    sqlite_api: Api, body: dict[str, Any], field: str
) -> None:
    owner = new_member(sqlite_api)
    refused = sqlite_api.client().post(ENDPOINTS, json=body, headers=owner.headers())
    found = problem(refused, 422, "validation-failed")
    assert field in [e["field"] for e in found["errors"]]


def test_production_takes_only_public_https_urls() -> None:
    assert checked_url(" https://hooks.example.com/in ", strict=True, field="url") == (
        "https://hooks.example.com/in"
    )
    for url in ("http://hooks.example.com/in", "https://127.0.0.1/in", "https://localhost/"):
        with pytest.raises(ValidationFailed):
            checked_url(url, strict=True, field="url")
    assert checked_url("http://127.0.0.1:9000/in", strict=False, field="url")


def test_readers_see_endpoints_and_only_admins_change_them(sqlite_api: Api) -> None:
    owner = new_member(sqlite_api)
    created = _create(sqlite_api, owner)
    viewer = owner.add_user(Role.VIEWER).headers()
    client = sqlite_api.client()
    url = f"{ENDPOINTS}/{created['id']}"
    ok(client.get(ENDPOINTS, headers=viewer))
    ok(client.get(f"{url}/deliveries", headers=viewer))
    for response in (
        client.post(ENDPOINTS, json={"url": "https://x.example.com/"}, headers=viewer),
        client.patch(url, json={"is_active": False}, headers=viewer),
        client.post(f"{url}/rotate-secret", headers=viewer),
        client.post(f"{url}/test", headers=viewer),
        client.delete(url, headers=viewer),
        client.post(CHANNELS, json={"channel": "email", "target": "a@b.example"}, headers=viewer),
    ):
        problem(response, 403, "forbidden")


def test_the_delivery_log_is_paged_newest_first(api: Api, receiver: Receiver) -> None:
    owner = new_member(api)
    headers = owner.headers()
    created = _create(api, owner, url=receiver.url)
    events = [str(add_event(api, owner.tenant_id)) for _ in range(3)]
    run_dispatch(api, owner.tenant_id)
    url = f"{ENDPOINTS}/{created['id']}/deliveries"
    client = api.client()
    first = ok(client.get(url, query_string={"limit": 2}, headers=headers))
    rest = ok(
        client.get(url, query_string={"limit": 2, "cursor": first["next_cursor"]}, headers=headers)
    )
    assert rest["next_cursor"] is None
    logged = first["data"] + rest["data"]
    assert sorted(d["event_id"] for d in logged) == sorted(events)
    assert [d["created_at"] for d in logged] == sorted(
        (d["created_at"] for d in logged), reverse=True
    )
    failed = client.get(url, query_string={"status": "failed"}, headers=headers)
    assert ok(failed)["data"] == []


def test_notification_channels_show_emails_and_mask_slack_urls(api: Api) -> None:
    owner = new_member(api)
    headers = owner.headers()
    client = api.client()
    email = ok(
        client.post(
            CHANNELS,
            json={"channel": "email", "target": " Ops@Example.com ", "events": ["sync.failed"]},
            headers=headers,
        ),
        201,
    )
    assert (email["channel"], email["target"], email["events"]) == (
        "email",
        "ops@example.com",
        ["sync.failed"],
    )
    slack_url = "https://hooks.slack.com/services/T000/B000/abcdefghijklmnopqrstuvwx"
    slack = ok(
        client.post(CHANNELS, json={"channel": "slack", "target": slack_url}, headers=headers),
        201,
    )
    assert slack["target"] == "https://hooks.slack.com/…uvwx"

    changed = ok(
        client.patch(
            f"{CHANNELS}/{slack['id']}", json={"events": [], "is_active": False}, headers=headers
        )
    )
    assert (changed["events"], changed["is_active"], changed["target"]) == (
        [],
        False,
        slack["target"],
    )
    listed = client.get(CHANNELS, headers=headers)
    assert [c["id"] for c in ok(listed)["data"]] == [email["id"], slack["id"]]
    assert "abcdefghijklmnop" not in listed.get_data(as_text=True)

    ok(client.delete(f"{CHANNELS}/{email['id']}", headers=headers), 204)
    problem(client.delete(f"{CHANNELS}/{email['id']}", headers=headers), 404, "not-found")
    assert [c["id"] for c in ok(client.get(CHANNELS, headers=headers))["data"]] == [slack["id"]]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"channel": "email", "target": "not-an-address"}, "target"),
        ({"channel": "slack", "target": "ftp://hooks.example.com/x"}, "target"),
        ({"channel": "webhook", "target": "https://hooks.example.com/x"}, "channel"),
        ({"channel": "email", "target": "a@b.example", "events": ["nope"]}, "events.0"),
    ],
)
def test_a_bad_notification_channel_is_refused_with_field_errors(
    sqlite_api: Api, body: dict[str, Any], field: str
) -> None:
    owner = new_member(sqlite_api)
    refused = sqlite_api.client().post(CHANNELS, json=body, headers=owner.headers())
    found = problem(refused, 422, "validation-failed")
    assert field in [e["field"] for e in found["errors"]]


def test_another_tenant_sees_none_of_it(api: Api) -> None:
    a, b = new_member(api), new_member(api)
    endpoint = _create(api, a)
    channel = ok(
        api.client().post(
            CHANNELS, json={"channel": "email", "target": "a@a.example"}, headers=a.headers()
        ),
        201,
    )
    client, headers = api.client(), b.headers()
    problem(client.get(f"{ENDPOINTS}/{endpoint['id']}", headers=headers), 404, "not-found")
    problem(
        client.get(f"{ENDPOINTS}/{endpoint['id']}/deliveries", headers=headers), 404, "not-found"
    )
    problem(client.patch(f"{CHANNELS}/{channel['id']}", json={}, headers=headers), 404, "not-found")
    assert ok(client.get(ENDPOINTS, headers=headers))["data"] == []
    assert ok(client.get(CHANNELS, headers=headers))["data"] == []


def test_a_test_event_reaches_only_that_endpoint_signed_and_is_logged(
    api: Api, receiver: Receiver
) -> None:
    owner = new_member(api)
    headers = owner.headers()
    created = _create(api, owner, url=f"{receiver.url}/tested", is_active=False)
    _create(api, owner, url=f"{receiver.url}/other")
    client = api.client()

    sent = ok(client.post(f"{ENDPOINTS}/{created['id']}/test", headers=headers))
    run_dispatch(api, owner.tenant_id)  # nothing more goes out, to this endpoint or another

    [request] = receiver.received
    assert request.path == "/tested"
    assert verify(
        created["secret"],
        body=request.body,
        timestamp=request.headers["Payymo-Timestamp"],
        signature_header=request.headers["Payymo-Signature"],
        now=int(api.clock.now().timestamp()),
    )
    body = json.loads(request.body)
    assert (body["type"], body["id"]) == ("ping", sent["event_id"])
    assert body["data"]["endpoint_id"] == created["id"]
    assert (sent["event_type"], sent["status"], sent["response_status"]) == (
        "ping",
        "delivered",
        200,
    )
    log = ok(client.get(f"{ENDPOINTS}/{created['id']}/deliveries", headers=headers))["data"]
    assert [d["id"] for d in log] == [sent["id"]]
    assert "webhook_endpoint.pinged" in audited_actions(api, headers, object_id=created["id"])


def test_a_failed_test_event_says_why_and_is_not_retried(api: Api, receiver: Receiver) -> None:
    owner = new_member(api)
    headers = owner.headers()
    created = _create(api, owner, url=receiver.url)
    receiver.default = 500

    sent = ok(api.client().post(f"{ENDPOINTS}/{created['id']}/test", headers=headers))
    api.clock.advance(hours=2)
    run_dispatch(api, owner.tenant_id)

    assert (sent["status"], sent["response_status"], sent["attempts"]) == ("dead", 500, 1)
    assert sent["error"]
    assert len(receiver.received) == 1
