"""Rate limits: the per-caller `api` limit, `auth` per client address, and per tenant one limit
for each kind of costly operation (exports, reconciliation, syncs, connections), each with its
own counters and setting; a 429 says which limit, counted per what, its rate, and its reset."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from werkzeug.test import TestResponse

from payymo.api.ratelimit import API_LIMIT, BUCKETS
from payymo.api.registry import ENDPOINTS, Limit
from payymo.auth.roles import Role
from payymo.blueprints import api_blueprints
from payymo.settings import Settings
from tests.conftest import REDIS_URL, require_redis
from tests.integration.api.conftest import Api, build_api, new_member
from tests.integration.api.helpers import ok, problem
from tests.integration.api.providers import Providers, connect_everything, provider_api

# Rates here are per day: the sliding window's counters step at multiples of the window (each
# minute for a minute), and two requests either side of a step can both pass a limit of one.
EXPORT = "/api/v1/transactions/export.csv"
RUN = "/api/v1/reconciliation/run"
LOGIN = "/api/v1/auth/login"
DOCS = Path(__file__).resolve().parents[3] / "docs" / "api.md"

# One request of each tenant-limited kind that needs no provider, and its answer when the
# limit lets it through (the limit is checked before the view runs).
CHEAP: dict[str, tuple[str, str, dict[str, Any] | None, int]] = {
    Limit.EXPORTS: ("GET", EXPORT, None, 200),
    Limit.RECONCILIATION: ("POST", RUN, None, 200),
    Limit.SYNCS: ("POST", "/api/v1/integrations/whmcs/sync", None, 404),  # nothing connected
    Limit.CONNECTIONS: ("POST", "/api/v1/integrations/bank/connections", {}, 422),  # no bank
}


def send(api: Api, kind: str, headers: dict[str, str]) -> TestResponse:
    method, path, body, _ = CHEAP[kind]
    return api.client().open(path, method=method, json=body, headers=headers)


def rate_limited(response: TestResponse, limit: str, key: str) -> dict[str, Any]:
    """The 429 body, after checking it names `limit` and the kind of `key` it counted."""
    body: dict[str, Any] = problem(response, 429, "too-many-requests")
    assert (body["limit"], body["key"]) == (limit, key)
    assert int(response.headers["Retry-After"]) > 0
    return body


def test_spent_exports_leave_reconciliation_runs_syncs_and_connection_set_up_available(
    sqlite_url: str, providers: Providers
) -> None:
    api = provider_api(sqlite_url, providers, rate_limit_exports="2/day")
    owner = new_member(api)
    headers = owner.headers()
    client = api.client()
    for _ in range(2):
        ok(client.get(EXPORT, headers=headers))
    rate_limited(client.get(EXPORT, headers=headers), "exports", "tenant")

    connect_everything(api, providers, owner)  # WHMCS, Stripe, a bank started and finished
    assert ok(client.post("/api/v1/integrations/whmcs/sync", headers=headers))["counts"]
    ok(client.post(RUN, headers=headers))
    rate_limited(client.get(EXPORT, headers=headers), "exports", "tenant")


@pytest.mark.parametrize("spent", list(CHEAP))
def test_each_tenant_limit_has_its_own_setting_and_counters(sqlite_url: str, spent: str) -> None:
    api = build_api(sqlite_url, **{f"rate_limit_{spent}": "1/day"})
    owner = new_member(api)
    headers = owner.headers()
    assert send(api, spent, headers).status_code == CHEAP[spent][3]
    rate_limited(send(api, spent, headers), spent, "tenant")
    for other in CHEAP.keys() - {spent}:
        assert send(api, other, headers).status_code == CHEAP[other][3], other
    colleague = owner.add_user(Role.ADMIN)
    rate_limited(send(api, spent, colleague.headers()), spent, "tenant")
    elsewhere = new_member(api)
    assert send(api, spent, elsewhere.headers()).status_code == CHEAP[spent][3]


def test_a_429_names_the_limit_its_key_its_rate_and_when_it_resets(sqlite_url: str) -> None:
    api = build_api(sqlite_url, rate_limit_exports="2/day")
    owner = new_member(api)
    headers = owner.headers()
    for _ in range(2):
        ok(api.client().get(EXPORT, headers=headers))
    before = datetime.now(UTC)
    response = api.client().get(EXPORT, headers=headers)
    body = rate_limited(response, "exports", "tenant")
    assert body["rate"] == "2 per 1 day"
    reset_at = datetime.fromisoformat(body["reset_at"])
    assert before < reset_at <= before + timedelta(days=1, seconds=2)
    retry_after = timedelta(seconds=int(response.headers["Retry-After"]))
    assert abs(reset_at - (before + retry_after)) <= timedelta(seconds=2)
    assert "exports" in body["detail"]
    assert str(owner.tenant_id) not in response.get_data(as_text=True)


def test_sign_in_attempts_are_limited_per_client_address(sqlite_url: str) -> None:
    api = build_api(sqlite_url, rate_limit_auth="3/day")
    client = api.client()
    body = {"workspace": "nope", "email": "x@example.com", "password": "wrong"}
    statuses = [client.post(LOGIN, json=body).status_code for _ in range(3)]
    assert statuses == [401, 401, 401]
    limited = client.post(LOGIN, json=body)
    assert rate_limited(limited, "auth", "client IP")["rate"] == "3 per 1 day"
    assert "127.0.0.1" not in limited.get_data(as_text=True)
    other_address = client.post(LOGIN, json=body, environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert other_address.status_code == 401


def test_api_calls_are_limited_per_caller(sqlite_url: str) -> None:
    api = build_api(sqlite_url, rate_limit_api="5/day")
    first, second = new_member(api), new_member(api)
    client, first_headers = api.client(), first.headers()
    for _ in range(5):
        assert client.get("/api/v1/tenant", headers=first_headers).status_code == 200
    limited = client.get("/api/v1/invoices", headers=first_headers)
    assert rate_limited(limited, "api", "user")["rate"] == "5 per 1 day"
    assert str(first.user_id) not in limited.get_data(as_text=True)
    assert client.get("/api/v1/tenant", headers=second.headers()).status_code == 200


@pytest.mark.redis
def test_limits_are_shared_between_processes_through_redis(sqlite_url: str) -> None:
    require_redis()
    namespace = uuid.uuid4().hex[:8]
    # Two apps stand for two gunicorn workers; each request comes from a fresh address space.
    apps = [build_api(sqlite_url, redis_url=REDIS_URL, rate_limit_auth="2/day") for _ in range(2)]
    # Counters outlive the run in Redis (two days for a daily limit): a fresh address each time.
    address = "10." + ".".join(str(int(namespace[i : i + 2], 16)) for i in (0, 2, 4))
    body = {"workspace": "nope", "email": "x@example.com", "password": "wrong"}
    for app in apps:
        response = app.client().post(LOGIN, json=body, environ_base={"REMOTE_ADDR": address})
        assert response.status_code == 401
    limited = apps[0].client().post(LOGIN, json=body, environ_base={"REMOTE_ADDR": address})
    assert datetime.fromisoformat(rate_limited(limited, "auth", "client IP")["reset_at"])


def test_only_rate_limited_responses_carry_retry_after(sqlite_url: str) -> None:
    api = build_api(sqlite_url)
    response = api.client().get("/api/v1/tenant", headers=new_member(api).headers())
    assert response.status_code == 200
    assert "Retry-After" not in response.headers
    assert "X-RateLimit-Remaining" in response.headers


def _documented_limits() -> dict[str, tuple[set[str], str]]:
    """docs/api.md's table of limits: name -> (its endpoints, its default)."""
    rows = re.findall(
        r"^\| `(\w+)` \| (.+?) \| .+? \| `RATE_LIMIT_\w+` \(`(.+?)`\) \|$",
        DOCS.read_text(),
        re.MULTILINE,
    )
    return {
        name: ({" ".join(e.split()) for e in re.findall(r"`([A-Z]+ /[^`]+)`", eps)}, default)
        for name, eps, default in rows
    }


def test_docs_list_every_limit_with_its_endpoints_and_default() -> None:
    api_blueprints()
    documented = _documented_limits()
    assert set(documented) == set(BUCKETS)
    for name, (endpoints, default) in documented.items():
        if name != API_LIMIT:
            assigned = {
                f"{e.method} {e.openapi_path.removeprefix('/api/v1')}"
                for e in ENDPOINTS
                if e.limit == name
            }
            assert endpoints == assigned, name
        assert default == Settings.model_fields[f"rate_limit_{name}"].default, name
