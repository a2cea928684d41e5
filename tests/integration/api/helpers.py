"""Helpers the API tests share: signing in, reading problems and audit entries, MFA codes."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pyotp
from flask.testing import FlaskClient
from prometheus_client import REGISTRY
from werkzeug.test import TestResponse

from payymo.auth import repository as users_repo
from payymo.auth.models import User
from payymo.auth.views import COOKIE_PATH, REFRESH_COOKIE
from payymo.errors import PROBLEM_BASE, PROBLEM_MEDIA_TYPE
from tests.integration.api.conftest import PASSWORD, Api, Member

LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"
RESET_REQUEST = "/api/v1/auth/password-reset/request"
RESET = "/api/v1/auth/password-reset"
NEW_PASSWORD = "a brand new passphrase"


def sign_in(client: FlaskClient, member: Member, **fields: Any) -> TestResponse:
    """POST the login form for `member`; `fields` override the correct credentials."""
    body = {"workspace": member.slug, "email": member.email, "password": PASSWORD, **fields}
    return client.post(LOGIN, json=body)


def ok(response: TestResponse, status: int = 200) -> Any:
    """The JSON body of `response`, after checking its status."""
    assert response.status_code == status, response.get_data(as_text=True)
    return response.json


def problem(response: TestResponse, status: int, slug: str) -> Any:
    """The body of `response`, after checking it is the expected problem+json."""
    body = ok(response, status)
    assert response.mimetype == PROBLEM_MEDIA_TYPE
    assert body["type"] == PROBLEM_BASE + slug
    assert body["status"] == status
    return body


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def audited(api: Api, headers: dict[str, str], **filters: str) -> list[dict[str, Any]]:
    """The tenant's audit entries matching `filters`, newest first (read as an admin)."""
    page = api.client().get("/api/v1/audit-log", query_string=filters, headers=headers)
    entries: list[dict[str, Any]] = ok(page)["data"]
    return entries


def audited_actions(api: Api, headers: dict[str, str], **filters: str) -> list[str]:
    return [entry["action"] for entry in audited(api, headers, **filters)]


def stored_user(api: Api, member: Member) -> User:
    with api.services.db.unit_of_work(member.tenant_id) as session:
        user = users_repo.user_by_id(session, member.tenant_id, member.user_id)
        assert user is not None
        return user


def fresh_otp(api: Api, secret: str) -> str:
    """The code of the next 30-second step, after moving the clock there: a code is accepted
    once, so each use needs a new one."""
    return pyotp.TOTP(secret).at(api.clock.advance(seconds=30))


def wrong_otp(api: Api, secret: str) -> str:
    """A six-digit code that is not valid in the current window or either neighbour."""
    totp, now = pyotp.TOTP(secret), api.clock.now()
    valid = {totp.at(now + timedelta(seconds=step)) for step in (-30, 0, 30)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in valid)


def enable_mfa(api: Api, headers: dict[str, str]) -> tuple[str, list[str]]:
    """Enrol the caller's authenticator; returns the TOTP secret and the recovery codes."""
    client = api.client()
    secret: str = ok(client.post("/api/v1/me/mfa/setup", headers=headers))["secret"]
    enabled = client.post(
        "/api/v1/me/mfa/enable", json={"otp": fresh_otp(api, secret)}, headers=headers
    )
    codes: list[str] = ok(enabled)["recovery_codes"]
    return secret, codes


def refresh_cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie(REFRESH_COOKIE, path=COOKIE_PATH)
    assert cookie is not None, "no refresh cookie"
    return cookie.value


def present_refresh_token(client: FlaskClient, token: str) -> TestResponse:
    client.set_cookie(REFRESH_COOKIE, token, path=COOKIE_PATH)
    return client.post(REFRESH)


def auth_failures(reason: str) -> float:
    value = REGISTRY.get_sample_value("payymo_auth_failures_total", {"reason": reason})
    return value or 0.0


def emailed_token(api: Api, kind: str) -> str:
    match = re.search(rf"token=({kind}_\S+)", api.mailer.outbox[-1].body)
    assert match, api.mailer.outbox[-1].body
    return match[1]
