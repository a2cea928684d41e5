"""Signing in and staying signed in, through the HTTP API: passwords with lockout, access-token
expiry, rotating refresh tokens, TOTP MFA and the tenant's MFA policy, password reset, and the
security headers and CORS rules every API response carries."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta

import pyotp
import pytest
from werkzeug.test import TestResponse

from payymo.auth import sessions
from payymo.auth.roles import Role
from payymo.auth.views import COOKIE_PATH, REFRESH_COOKIE
from tests.integration.api.conftest import Api, build_api, new_member
from tests.integration.api.helpers import (
    LOGIN,
    LOGOUT,
    NEW_PASSWORD,
    REFRESH,
    RESET,
    RESET_REQUEST,
    audited,
    audited_actions,
    auth_failures,
    bearer,
    emailed_token,
    enable_mfa,
    fresh_otp,
    ok,
    present_refresh_token,
    problem,
    refresh_cookie,
    sign_in,
    stored_user,
    wrong_otp,
)

# Signing in


def test_signing_in_returns_a_15_minute_access_token_and_a_locked_down_refresh_cookie(
    sqlite_api: Api,
) -> None:
    member = new_member(sqlite_api)

    response = sign_in(sqlite_api.client(), member)

    body = ok(response)
    assert body["token_type"] == "Bearer"
    assert body["workspace"] == member.slug
    assert body["user_id"] == str(member.user_id)
    assert body["role"] == "owner"
    assert body["mfa_enrolment_required"] is False
    expires = datetime.fromisoformat(body["expires_at"])
    assert expires == sqlite_api.clock.now() + timedelta(minutes=15)
    (cookie,) = response.headers.getlist("Set-Cookie")
    attributes = {part.strip().split("=")[0].lower(): part.strip() for part in cookie.split(";")}
    assert cookie.startswith(f"{REFRESH_COOKIE}=rt_{member.tenant_id.hex}_")
    assert {"httponly", "secure"} <= attributes.keys()
    assert attributes["samesite"] == "SameSite=Strict"
    assert attributes["path"] == "Path=/api/v1/auth"


def test_wrong_password_unknown_email_and_unknown_workspace_give_the_same_401(
    sqlite_api: Api,
) -> None:
    member = new_member(sqlite_api)
    client = sqlite_api.client()

    wrong_password = sign_in(client, member, password="not the password at all")
    unknown_email = sign_in(client, member, email="nobody@example.com")
    unknown_workspace = sign_in(client, member, workspace="no-such-workspace")

    body = problem(wrong_password, 401, "unauthorized")
    assert body["detail"] == sessions.BAD_CREDENTIALS
    assert problem(unknown_email, 401, "unauthorized") == body
    assert problem(unknown_workspace, 401, "unauthorized") == body
    assert "Set-Cookie" not in wrong_password.headers


def test_a_deactivated_user_cannot_sign_in_or_refresh(sqlite_api: Api) -> None:
    owner = new_member(sqlite_api)
    accountant = owner.add_user(Role.ACCOUNTANT)
    accountant_client = sqlite_api.client()
    accountant.login(accountant_client)

    deactivated = sqlite_api.client().patch(
        f"/api/v1/users/{accountant.user_id}", json={"is_active": False}, headers=owner.headers()
    )

    assert ok(deactivated)["is_active"] is False
    body = problem(sign_in(sqlite_api.client(), accountant), 401, "unauthorized")
    assert body["detail"] == sessions.BAD_CREDENTIALS
    problem(accountant_client.post(REFRESH), 401, "unauthorized")


# Lockout


@pytest.mark.parametrize(
    ("failures", "locked_for"),
    [
        (0, timedelta(0)),
        (sessions.FREE_ATTEMPTS - 1, timedelta(0)),
        (sessions.FREE_ATTEMPTS, timedelta(seconds=30)),
        (sessions.FREE_ATTEMPTS + 1, timedelta(seconds=60)),
        (sessions.FREE_ATTEMPTS + 2, timedelta(seconds=120)),
        (sessions.FREE_ATTEMPTS + 6, timedelta(minutes=32)),
        (sessions.FREE_ATTEMPTS + 7, timedelta(hours=1)),
        (10_000, timedelta(hours=1)),
    ],
)
def test_lockout_doubles_with_every_failure_after_the_free_attempts_up_to_an_hour(
    failures: int, locked_for: timedelta
) -> None:
    assert sessions.lockout_for(failures) == locked_for


def test_twenty_wrong_passwords_lock_the_account_until_the_lockout_window_has_passed(
    api: Api,
) -> None:
    member = new_member(api)
    client = api.client()
    bad_passwords_before = auth_failures("bad_password")
    locked_before = auth_failures("locked")

    statuses = [sign_in(client, member, password="guess " * 3).status_code for _ in range(20)]
    while_locked = sign_in(client, member)

    free = sessions.FREE_ATTEMPTS
    assert statuses == [401] * free + [429] * (20 - free)
    body = problem(while_locked, 429, "too-many-requests")
    assert "try again later" in body["detail"]
    assert while_locked.headers["Retry-After"] == "30"
    assert auth_failures("bad_password") - bad_passwords_before == free
    assert auth_failures("locked") - locked_before == 20 - free + 1
    user = stored_user(api, member)
    assert user.failed_login_count == free
    assert user.locked_until == api.clock.now() + timedelta(seconds=30)

    api.clock.advance(seconds=31)
    after_the_window = sign_in(client, member)

    headers = bearer(ok(after_the_window)["access_token"])
    user = stored_user(api, member)
    assert (user.failed_login_count, user.locked_until) == (0, None)
    (lockout,) = audited(api, headers, action="user.locked_out", object_id=str(member.user_id))
    assert lockout["actor_type"] == "system"
    assert lockout["after"]["failures"] == free


def test_each_failure_after_a_lockout_has_expired_doubles_the_next_lockout(
    sqlite_api: Api,
) -> None:
    member = new_member(sqlite_api)
    client = sqlite_api.client()
    for _ in range(sessions.FREE_ATTEMPTS):
        sign_in(client, member, password="guess " * 3)

    sqlite_api.clock.advance(seconds=30)
    sixth = sign_in(client, member, password="guess " * 3)
    sqlite_api.clock.advance(seconds=60)
    seventh = sign_in(client, member, password="guess " * 3)
    locked = sign_in(client, member)

    problem(sixth, 401, "unauthorized")
    problem(seventh, 401, "unauthorized")
    problem(locked, 429, "too-many-requests")
    assert locked.headers["Retry-After"] == "120"
    user = stored_user(sqlite_api, member)
    assert user.locked_until == sqlite_api.clock.now() + timedelta(seconds=120)


# Access tokens


def test_an_access_token_stops_working_after_15_minutes(sqlite_api: Api) -> None:
    member = new_member(sqlite_api)
    headers = member.headers()
    client = sqlite_api.client()

    sqlite_api.clock.advance(minutes=14, seconds=59)
    still_valid = client.get("/api/v1/me", headers=headers)
    sqlite_api.clock.advance(seconds=1)
    expired = client.get("/api/v1/me", headers=headers)

    assert still_valid.status_code == 200
    body = problem(expired, 401, "unauthorized")
    assert body["detail"] == "the access token is invalid or expired"
    assert expired.headers["WWW-Authenticate"] == 'Bearer realm="payymo"'


def test_an_access_token_is_accepted_while_the_app_clock_runs_ahead_of_the_wall_clock(
    sqlite_api: Api,
) -> None:
    member = new_member(sqlite_api)
    sqlite_api.clock.advance(days=1)

    response = sqlite_api.client().get("/api/v1/me", headers=member.headers())

    assert response.status_code == 200, response.json


def test_a_request_without_a_bearer_token_is_challenged(sqlite_api: Api) -> None:
    response = sqlite_api.client().get("/api/v1/me")

    problem(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="payymo"'


# Refresh tokens


def test_refreshing_rotates_the_refresh_token_and_issues_a_new_access_token(api: Api) -> None:
    member = new_member(api)
    client = api.client()
    first_access = member.login(client)
    first_refresh = refresh_cookie(client)
    api.clock.advance(minutes=20)

    rotated = client.post(REFRESH)

    body = ok(rotated)
    assert body["access_token"] != first_access
    assert datetime.fromisoformat(body["expires_at"]) == api.clock.now() + timedelta(minutes=15)
    assert refresh_cookie(client) != first_refresh
    assert "HttpOnly" in rotated.headers["Set-Cookie"]
    me = client.get("/api/v1/me", headers=bearer(body["access_token"]))
    assert ok(me)["id"] == str(member.user_id)


def test_reusing_a_spent_refresh_token_revokes_its_whole_family(api: Api) -> None:
    member = new_member(api)
    client = api.client()
    member.login(client)
    spent = refresh_cookie(client)
    assert client.post(REFRESH).status_code == 200
    newest = refresh_cookie(client)
    reuse_before = auth_failures("refresh_reuse")

    replayed = present_refresh_token(client, spent)
    newest_after_replay = present_refresh_token(client, newest)

    assert problem(replayed, 401, "unauthorized")["detail"] == (
        "this refresh token was already used; sign in again"
    )
    problem(newest_after_replay, 401, "unauthorized")
    assert auth_failures("refresh_reuse") - reuse_before == 1
    actions = audited_actions(api, member.headers(), object_id=str(member.user_id))
    assert "session.reuse_detected" in actions


def test_signing_out_revokes_the_refresh_token_and_clears_the_cookie(api: Api) -> None:
    member = new_member(api)
    client = api.client()
    member.login(client)
    token = refresh_cookie(client)

    signed_out = client.post(LOGOUT)

    assert signed_out.status_code == 204
    assert client.get_cookie(REFRESH_COOKIE, path=COOKIE_PATH) is None
    problem(present_refresh_token(client, token), 401, "unauthorized")


def test_an_expired_refresh_token_is_refused(sqlite_api: Api) -> None:
    member = new_member(sqlite_api)
    client = sqlite_api.client()
    member.login(client)

    sqlite_api.clock.advance(days=30)

    body = problem(client.post(REFRESH), 401, "unauthorized")
    assert body["detail"] == "the refresh token is invalid, expired or revoked"


def test_refreshing_without_a_cookie_or_with_a_garbled_one_is_refused(sqlite_api: Api) -> None:
    client = sqlite_api.client()

    problem(client.post(REFRESH), 401, "unauthorized")
    problem(present_refresh_token(client, "rt_garbage"), 401, "unauthorized")


# MFA


def test_with_mfa_on_sign_in_needs_a_valid_code_or_an_unused_recovery_code_until_it_is_off(
    sqlite_api: Api,
) -> None:
    member = new_member(sqlite_api)
    headers = member.headers()
    client = sqlite_api.client()
    bad_otps_before = auth_failures("bad_otp")
    secret = ok(client.post("/api/v1/me/mfa/setup", headers=headers))["secret"]
    wrong = wrong_otp(sqlite_api, secret)

    not_enabled = client.post("/api/v1/me/mfa/enable", json={"otp": wrong}, headers=headers)
    enabled = client.post(
        "/api/v1/me/mfa/enable", json={"otp": fresh_otp(sqlite_api, secret)}, headers=headers
    )
    without_code = sign_in(client, member)
    with_wrong_code = sign_in(client, member, otp=wrong)
    failures_after_wrong_code = stored_user(sqlite_api, member).failed_login_count
    with_code = sign_in(client, member, otp=fresh_otp(sqlite_api, secret))

    assert problem(not_enabled, 422, "validation-failed")["errors"][0]["field"] == "otp"
    codes = ok(enabled)["recovery_codes"]
    assert len(set(codes)) == 10
    assert all(re.fullmatch(r"[A-Z2-9]{5}-[A-Z2-9]{5}", code) for code in codes)
    assert "otp" in problem(without_code, 401, "mfa-required")["detail"]
    assert problem(with_wrong_code, 401, "mfa-invalid")["errors"][0]["field"] == "otp"
    assert failures_after_wrong_code == 1
    assert auth_failures("bad_otp") - bad_otps_before == 1
    assert with_code.status_code == 200
    assert ok(client.get("/api/v1/me", headers=headers))["mfa_enabled"] is True

    first_use = sign_in(client, member, recovery_code=codes[0].lower())
    second_use = sign_in(client, member, recovery_code=codes[0])

    assert first_use.status_code == 200
    assert problem(second_use, 401, "mfa-invalid")["errors"][0]["field"] == "recovery_code"
    assert len(stored_user(sqlite_api, member).mfa_recovery_hashes) == 9

    refused = client.post("/api/v1/me/mfa/disable", json={"otp": wrong}, headers=headers)
    disabled = client.post(
        "/api/v1/me/mfa/disable", json={"otp": fresh_otp(sqlite_api, secret)}, headers=headers
    )

    problem(refused, 422, "validation-failed")
    assert disabled.status_code == 204
    assert sign_in(client, member).status_code == 200
    user = stored_user(sqlite_api, member)
    assert (user.mfa_enabled, user.mfa_secret_encrypted, user.mfa_recovery_hashes) == (
        False,
        None,
        [],
    )
    actions = audited_actions(sqlite_api, headers, object_id=str(member.user_id))
    assert {"user.mfa_enabled", "user.mfa_disabled"} <= set(actions)


def test_a_wrong_code_after_the_right_password_says_the_code_is_wrong(sqlite_api: Api) -> None:
    member = new_member(sqlite_api)
    secret, _ = enable_mfa(sqlite_api, member.headers())
    client = sqlite_api.client()

    wrong_code = sign_in(client, member, otp=wrong_otp(sqlite_api, secret))
    wrong_recovery_code = sign_in(client, member, recovery_code="AAAAA-AAAAA")

    body = problem(wrong_code, 401, "mfa-invalid")
    assert "code" in body["detail"]
    assert "password" not in body["detail"]
    assert [(e["field"], e["code"]) for e in body["errors"]] == [("otp", "mfa_invalid")]
    recovery = problem(wrong_recovery_code, 401, "mfa-invalid")
    assert [e["field"] for e in recovery["errors"]] == ["recovery_code"]
    assert stored_user(sqlite_api, member).failed_login_count == 2


def test_a_code_is_accepted_once_and_a_replay_counts_as_a_failed_sign_in(
    sqlite_api: Api,
) -> None:
    member = new_member(sqlite_api)
    secret, _ = enable_mfa(sqlite_api, member.headers())
    client = sqlite_api.client()
    now = sqlite_api.clock.advance(seconds=90)  # well past the step enrolment used
    code = pyotp.TOTP(secret).at(now)
    earlier = pyotp.TOTP(secret).at(now - timedelta(seconds=30))  # in the window, never used
    bad_otps_before = auth_failures("bad_otp")

    first = sign_in(client, member, otp=code)
    replayed = sign_in(client, member, otp=code)
    # The step before is still in the window, but older than one accepted: refused too.
    older = sign_in(client, member, otp=earlier)
    sqlite_api.clock.advance(seconds=30)
    next_step = sign_in(client, member, otp=pyotp.TOTP(secret).at(sqlite_api.clock.now()))

    assert first.status_code == 200
    problem(replayed, 401, "mfa-invalid")
    problem(older, 401, "mfa-invalid")
    assert auth_failures("bad_otp") - bad_otps_before == 2
    assert next_step.status_code == 200


def test_a_code_in_other_digits_is_a_wrong_code_not_an_error(sqlite_api: Api) -> None:
    member = new_member(sqlite_api)
    secret, _ = enable_mfa(sqlite_api, member.headers())
    code = fresh_otp(sqlite_api, secret)
    arabic_indic = code.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))

    refused = sign_in(sqlite_api.client(), member, otp=arabic_indic)

    problem(refused, 401, "mfa-invalid")


def test_an_owner_without_mfa_under_the_mfa_policy_gets_a_token_only_for_enrolment(
    sqlite_api: Api,
) -> None:
    owner = new_member(sqlite_api)
    viewer = owner.add_user(Role.VIEWER)
    client = sqlite_api.client()
    policy = client.patch(
        "/api/v1/settings", json={"require_mfa_for_admins": True}, headers=owner.headers()
    )
    ok(policy)

    limited = sign_in(client, owner)

    assert ok(limited)["mfa_enrolment_required"] is True
    assert "Set-Cookie" not in limited.headers
    headers = bearer(ok(limited)["access_token"])
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    for method, path in [
        ("GET", "/api/v1/tenant"),
        ("GET", "/api/v1/users"),
        ("PATCH", "/api/v1/me"),
    ]:
        response = client.open(path, method=method, json={"full_name": "X"}, headers=headers)
        assert "finish MFA enrolment" in problem(response, 403, "forbidden")["detail"]
    secret, _ = enable_mfa(sqlite_api, headers)
    full = ok(sign_in(client, owner, otp=fresh_otp(sqlite_api, secret)))
    assert full["mfa_enrolment_required"] is False
    assert client.get_cookie(REFRESH_COOKIE, path=COOKIE_PATH) is not None
    assert ok(sign_in(client, viewer))["mfa_enrolment_required"] is False
    full_headers = bearer(full["access_token"])
    settings_changes = audited(sqlite_api, full_headers, action="tenant.settings_changed")
    assert settings_changes[0]["after"]["require_mfa_for_admins"] is True


# Password reset


def test_a_password_reset_request_is_accepted_alike_for_unknown_accounts(
    sqlite_api: Api,
) -> None:
    member = new_member(sqlite_api)
    client = sqlite_api.client()

    unknown_email = client.post(
        RESET_REQUEST, json={"workspace": member.slug, "email": "nobody@example.com"}
    )
    unknown_workspace = client.post(
        RESET_REQUEST, json={"workspace": "no-such-workspace", "email": member.email}
    )

    assert (unknown_email.status_code, unknown_email.json) == (202, {"status": "accepted"})
    assert (unknown_workspace.status_code, unknown_workspace.json) == (202, {"status": "accepted"})
    assert sqlite_api.mailer.outbox == []


def test_the_emailed_reset_token_sets_a_new_password_once_and_signs_out_every_session(
    api: Api,
) -> None:
    member = new_member(api)
    signed_in_elsewhere = api.client()
    member.login(signed_in_elsewhere)
    client = api.client()

    requested = client.post(
        RESET_REQUEST, json={"workspace": member.slug, "email": member.email.upper()}
    )
    token = emailed_token(api, "prt")
    reset = client.post(RESET, json={"token": token, "password": NEW_PASSWORD})
    reused = client.post(RESET, json={"token": token, "password": "yet another passphrase"})

    assert requested.status_code == 202
    (mail,) = api.mailer.outbox
    assert mail.to == member.email
    assert reset.status_code == 204
    assert problem(reused, 422, "validation-failed")["errors"][0]["field"] == "token"
    problem(sign_in(client, member), 401, "unauthorized")
    signed_in = ok(sign_in(client, member, password=NEW_PASSWORD))
    problem(signed_in_elsewhere.post(REFRESH), 401, "unauthorized")
    headers = bearer(signed_in["access_token"])
    actions = audited_actions(api, headers, object_id=str(member.user_id))
    assert {"user.password_reset_requested", "user.password_reset"} <= set(actions)


def test_a_reset_token_expires_after_an_hour(sqlite_api: Api) -> None:
    member = new_member(sqlite_api)
    client = sqlite_api.client()
    client.post(RESET_REQUEST, json={"workspace": member.slug, "email": member.email})
    token = emailed_token(sqlite_api, "prt")

    sqlite_api.clock.advance(hours=1)
    late = client.post(RESET, json={"token": token, "password": NEW_PASSWORD})

    problem(late, 422, "validation-failed")
    assert sign_in(client, member).status_code == 200


def test_a_reset_does_not_accept_a_short_password_or_a_forged_token(sqlite_api: Api) -> None:
    member = new_member(sqlite_api)
    client = sqlite_api.client()
    client.post(RESET_REQUEST, json={"workspace": member.slug, "email": member.email})
    token = emailed_token(sqlite_api, "prt")

    short = client.post(RESET, json={"token": token, "password": "short"})
    forged = client.post(RESET, json={"token": token[:-4] + "AAAA", "password": NEW_PASSWORD})
    genuine = client.post(RESET, json={"token": token, "password": NEW_PASSWORD})

    assert problem(short, 422, "validation-failed")["errors"][0]["field"] == "password"
    assert problem(forged, 422, "validation-failed")["errors"][0]["field"] == "token"
    assert genuine.status_code == 204


# Security headers and CORS


def test_api_responses_carry_the_security_headers_but_no_hsts_outside_production(
    sqlite_api: Api,
) -> None:
    member = new_member(sqlite_api)
    client = sqlite_api.client()

    for response in (client.get("/api/v1/me", headers=member.headers()), client.get("/api/v1/me")):
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Cache-Control"] == "no-store"
        assert "Strict-Transport-Security" not in response.headers


@pytest.fixture
def cors_api(sqlite_url: str) -> Iterator[Api]:
    """The app on SQLite with the SPA's origin allowed by CORS."""
    built = build_api(sqlite_url, cors_origins="https://app.example.com")
    yield built
    built.services.db.dispose()


def preflight(api: Api, origin: str) -> TestResponse:
    return api.client().options(
        LOGIN,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Content-Type",
        },
    )


def test_a_preflight_from_the_configured_origin_is_allowed_with_credentials(
    cors_api: Api,
) -> None:
    response = preflight(cors_api, "https://app.example.com")

    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert "POST" in response.headers["Access-Control-Allow-Methods"]


def test_a_preflight_from_any_other_origin_is_not_allowed(cors_api: Api) -> None:
    response = preflight(cors_api, "https://evil.example.com")

    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Access-Control-Allow-Credentials" not in response.headers
