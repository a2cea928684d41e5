"""Rate limits: per IP on sign-in, per caller on the API, per tenant on expensive endpoints."""

from __future__ import annotations

import uuid

import pytest

from payymo.auth.roles import Role
from tests.conftest import REDIS_URL, require_redis
from tests.integration.api.conftest import Api, build_api, new_member


def _limited_api(sqlite_url: str, **limits: str) -> Api:
    return build_api(sqlite_url, **limits)


def _assert_rate_limited(response: object) -> None:
    assert response.status_code == 429  # type: ignore[attr-defined]
    assert response.mimetype == "application/problem+json"  # type: ignore[attr-defined]
    assert int(response.headers["Retry-After"]) > 0  # type: ignore[attr-defined]


def test_sign_in_attempts_are_limited_per_client_address(sqlite_url: str) -> None:
    api = _limited_api(sqlite_url, rate_limit_auth="3/minute")
    client = api.client()
    body = {"workspace": "nope", "email": "x@example.com", "password": "wrong"}
    statuses = [client.post("/api/v1/auth/login", json=body).status_code for _ in range(3)]
    assert statuses == [401, 401, 401]
    _assert_rate_limited(client.post("/api/v1/auth/login", json=body))
    other_address = client.post(
        "/api/v1/auth/login", json=body, environ_base={"REMOTE_ADDR": "10.9.8.7"}
    )
    assert other_address.status_code == 401


def test_api_calls_are_limited_per_caller(sqlite_url: str) -> None:
    api = _limited_api(sqlite_url, rate_limit_api="5/minute")
    first, second = new_member(api), new_member(api)
    client, first_headers = api.client(), first.headers()
    for _ in range(5):
        assert client.get("/api/v1/tenant", headers=first_headers).status_code == 200
    _assert_rate_limited(client.get("/api/v1/invoices", headers=first_headers))
    assert client.get("/api/v1/tenant", headers=second.headers()).status_code == 200


def test_expensive_endpoints_are_limited_per_tenant(sqlite_url: str) -> None:
    api = _limited_api(sqlite_url, rate_limit_expensive="2/minute")
    owner = new_member(api)
    colleague = owner.add_user(Role.VIEWER)
    client = api.client()
    for _ in range(2):
        response = client.get("/api/v1/transactions/export.csv", headers=owner.headers())
        assert response.status_code == 200
    _assert_rate_limited(client.get("/api/v1/transactions/export.csv", headers=colleague.headers()))
    elsewhere = new_member(api)
    ok = client.get("/api/v1/transactions/export.csv", headers=elsewhere.headers())
    assert ok.status_code == 200


@pytest.mark.redis
def test_limits_are_shared_between_processes_through_redis(sqlite_url: str) -> None:
    require_redis()
    namespace = uuid.uuid4().hex[:8]
    # Two apps stand for two gunicorn workers; each request comes from a fresh address space.
    apps = [
        build_api(sqlite_url, redis_url=REDIS_URL, rate_limit_auth="2/minute") for _ in range(2)
    ]
    address = f"10.{int(namespace[:2], 16)}.{int(namespace[2:4], 16)}.1"
    body = {"workspace": "nope", "email": "x@example.com", "password": "wrong"}
    for app in apps:
        response = app.client().post(
            "/api/v1/auth/login", json=body, environ_base={"REMOTE_ADDR": address}
        )
        assert response.status_code == 401
    _assert_rate_limited(
        apps[0]
        .client()
        .post("/api/v1/auth/login", json=body, environ_base={"REMOTE_ADDR": address})
    )


def test_only_rate_limited_responses_carry_retry_after(sqlite_url: str) -> None:
    api = _limited_api(sqlite_url)
    response = api.client().get("/api/v1/tenant", headers=new_member(api).headers())
    assert response.status_code == 200
    assert "Retry-After" not in response.headers
    assert "X-RateLimit-Remaining" in response.headers
