"""The findings of the access review (issue 12), each as a test: access that is taken away ends
on the next request, the MFA policy holds on refresh, rate limits count verified identity
only, and neither a key nor a user grants more than it holds. Each runs on SQLite and on
PostgreSQL as the application role."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from payymo.auth.principal import (
    ROLE_PERMISSIONS,
    SCOPE_PERMISSIONS,
    ApiKeyScope,
    user_permissions,
)
from payymo.auth.roles import Role
from tests.integration.api.conftest import PASSWORD, Api, Member, build_api, new_member
from tests.integration.api.helpers import (
    LOGOUT,
    NEW_PASSWORD,
    REFRESH,
    RESET,
    RESET_REQUEST,
    bearer,
    emailed_token,
    enable_mfa,
    fresh_otp,
    ok,
    problem,
    refresh_cookie,
    sign_in,
)

API_KEYS = "/api/v1/api-keys"
INVITATIONS = "/api/v1/invitations"
ACCEPT = "/api/v1/auth/invitations/accept"
SETTINGS = "/api/v1/settings"
EXPORT = "/api/v1/transactions/export.csv"
RUN = "/api/v1/reconciliation/run"
ME = "/api/v1/me"
INVOICES = "/api/v1/invoices"
ALL_SCOPES = [scope.value for scope in ApiKeyScope]


def _backend_api(request: pytest.FixtureRequest, **overrides: Any) -> Api:
    """As the `api` fixture builds it (PostgreSQL as a login role in payymo_app)."""
    backend = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return build_api(request.getfixturevalue(backend), **overrides)


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def limited_api(request: pytest.FixtureRequest) -> Iterator[Api]:
    """The app on each backend with small per-tenant limits (per day: see test_rate_limits)."""
    built = _backend_api(request, rate_limit_exports="3/day", rate_limit_reconciliation="2/day")
    yield built
    built.services.db.dispose()


def signed_in(member: Member) -> tuple[FlaskClient, str]:
    """A client holding `member`'s refresh cookie, and the access token of that session."""
    client = member.api.client()
    return client, ok(sign_in(client, member))["access_token"]


def new_key(member_headers: dict[str, str], api: Api, scopes: list[str]) -> str:
    body = {"name": "k", "scopes": scopes}
    created = api.client().post(API_KEYS, json=body, headers=member_headers)
    secret: str = ok(created, 201)["key"]
    return secret


def status_of(api: Api, token: str, path: str = ME) -> int:
    return api.client().get(path, headers=bearer(token)).status_code


# 1. Removing someone removes their access.


def test_a_demoted_admins_old_token_cannot_create_an_admin_key(api: Api, owner: Member) -> None:
    admin = owner.add_user(Role.ADMIN)
    token = admin.login()
    body = {"role": "viewer"}
    ok(api.client().patch(f"/api/v1/users/{admin.user_id}", json=body, headers=owner.headers()))

    attempt = api.client().post(
        API_KEYS,
        json={"name": "x", "scopes": ["read", "reconcile", "admin"]},
        headers=bearer(token),
    )

    problem(attempt, 403, "forbidden")
    assert status_of(api, token) == 200  # still a member, now a viewer
    assert ok(api.client().get(ME, headers=bearer(token)))["role"] == "viewer"


@pytest.mark.parametrize("removal", ["deactivate", "erase"])
def test_a_removed_users_tokens_and_keys_stop_at_the_next_request(
    api: Api, owner: Member, removal: str
) -> None:
    admin = owner.add_user(Role.ADMIN)
    token = admin.login()
    key = new_key(bearer(token), api, ["read", "reconcile"])
    assert (status_of(api, token), status_of(api, key, INVOICES)) == (200, 200)
    path = f"/api/v1/users/{admin.user_id}"
    if removal == "deactivate":
        ok(api.client().patch(path, json={"is_active": False}, headers=owner.headers()))
    else:
        assert api.client().delete(path, headers=owner.headers()).status_code == 204

    problem(api.client().get(ME, headers=bearer(token)), 401, "unauthorized")
    problem(api.client().get(INVOICES, headers=bearer(key)), 401, "unauthorized")
    listed = ok(api.client().get(API_KEYS, headers=owner.headers()))["data"]
    assert [entry["revoked_at"] is not None for entry in listed] == [True]


def test_a_reactivated_user_does_not_get_their_old_sessions_or_keys_back(
    api: Api, owner: Member
) -> None:
    admin = owner.add_user(Role.ADMIN)
    token = admin.login()
    key = new_key(bearer(token), api, ["read"])
    path = f"/api/v1/users/{admin.user_id}"
    ok(api.client().patch(path, json={"is_active": False}, headers=owner.headers()))
    ok(api.client().patch(path, json={"is_active": True}, headers=owner.headers()))

    assert (status_of(api, token), status_of(api, key, INVOICES)) == (401, 401)
    assert status_of(api, admin.login()) == 200


def test_signing_out_ends_the_access_token_as_well_as_the_refresh_token(
    api: Api, owner: Member
) -> None:
    client, token = signed_in(owner)
    cookie = refresh_cookie(client)
    other_client, other_token = signed_in(owner)  # another device stays signed in

    assert client.post(LOGOUT, headers=bearer(token)).status_code == 204

    problem(api.client().get(ME, headers=bearer(token)), 401, "unauthorized")
    again = api.client()
    again.set_cookie("payymo_refresh", cookie, path="/api/v1/auth")
    problem(again.post(REFRESH), 401, "unauthorized")
    assert status_of(api, other_token) == 200
    assert ok(other_client.post(REFRESH))["access_token"]


def test_signing_out_with_only_the_cookie_ends_that_sessions_access_tokens(
    api: Api, owner: Member
) -> None:
    client, token = signed_in(owner)

    assert client.post(LOGOUT).status_code == 204

    assert status_of(api, token) == 401


def test_a_password_reset_ends_every_session(api: Api, owner: Member) -> None:
    _, first = signed_in(owner)
    _, second = signed_in(owner)
    client = api.client()
    client.post(RESET_REQUEST, json={"workspace": owner.slug, "email": owner.email})
    reset = client.post(RESET, json={"token": emailed_token(api, "prt"), "password": NEW_PASSWORD})

    assert reset.status_code == 204
    assert (status_of(api, first), status_of(api, second)) == (401, 401)


def test_a_password_change_ends_the_other_sessions_and_keeps_this_one(
    api: Api, owner: Member
) -> None:
    _, here = signed_in(owner)
    _, elsewhere = signed_in(owner)

    changed = api.client().post(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=bearer(here),
    )

    assert changed.status_code == 204
    assert (status_of(api, here), status_of(api, elsewhere)) == (200, 401)


def test_a_demoted_owners_key_does_only_what_the_new_role_allows(api: Api, owner: Member) -> None:
    admin = owner.add_user(Role.ADMIN)
    key = new_key(admin.headers(), api, ["read", "reconcile", "admin"])
    assert api.client().post(RUN, headers=bearer(key)).status_code == 200
    body = {"role": "viewer"}
    ok(api.client().patch(f"/api/v1/users/{admin.user_id}", json=body, headers=owner.headers()))

    assert status_of(api, key, INVOICES) == 200
    problem(api.client().post(RUN, headers=bearer(key)), 403, "forbidden")
    problem(api.client().get(INVITATIONS, headers=bearer(key)), 403, "forbidden")


# 2. The MFA policy holds on every path that issues an access token.


def turn_on_mfa_policy(api: Api, owner: Member) -> None:
    body = {"require_mfa_for_admins": True}
    ok(api.client().patch(SETTINGS, json=body, headers=owner.headers()))


def test_refreshing_a_session_from_before_the_policy_gives_a_limited_token(
    api: Api, owner: Member
) -> None:
    client, before = signed_in(owner)
    turn_on_mfa_policy(api, owner)

    refreshed = client.post(REFRESH)

    body = ok(refreshed)
    assert body["mfa_enrolment_required"] is True
    problem(api.client().get(INVOICES, headers=bearer(body["access_token"])), 403, "forbidden")
    # The token from before the policy is held to it too, and the session cannot refresh.
    problem(api.client().get(INVOICES, headers=bearer(before)), 403, "forbidden")
    assert status_of(api, before) == 200  # enrolment stays possible
    problem(client.post(REFRESH), 401, "unauthorized")


def test_an_admin_who_enrols_under_the_policy_signs_in_with_the_code_for_a_full_session(
    api: Api, owner: Member
) -> None:
    turn_on_mfa_policy(api, owner)
    limited = owner.login()
    secret, _ = enable_mfa(api, bearer(limited))

    problem(api.client().get(INVOICES, headers=bearer(limited)), 403, "forbidden")
    full = ok(sign_in(api.client(), owner, otp=fresh_otp(api, secret)))
    assert full["mfa_enrolment_required"] is False
    assert status_of(api, full["access_token"], INVOICES) == 200


def test_accepting_an_invitation_or_resetting_a_password_issues_no_token_under_the_policy(
    api: Api, owner: Member
) -> None:
    client = api.client()
    body = {"email": "new-admin@example.com", "role": "admin"}
    ok(client.post(INVITATIONS, json=body, headers=owner.headers()), 201)
    turn_on_mfa_policy(api, owner)
    accept = {"token": emailed_token(api, "inv"), "full_name": "N", "password": NEW_PASSWORD}
    accepted = client.post(ACCEPT, json=accept)
    client.post(RESET_REQUEST, json={"workspace": owner.slug, "email": owner.email})
    reset = client.post(RESET, json={"token": emailed_token(api, "prt"), "password": NEW_PASSWORD})

    for response in (accepted, reset):
        assert "access_token" not in (response.get_json(silent=True) or {})
        assert "Set-Cookie" not in response.headers
    new_admin = Member(
        api,
        owner.tenant_id,
        owner.slug,
        uuid.UUID(ok(accepted, 201)["id"]),
        "new-admin@example.com",
        Role.ADMIN,
    )
    after = api.client().post(
        "/api/v1/auth/login",
        json={"workspace": owner.slug, "email": new_admin.email, "password": NEW_PASSWORD},
    )
    assert ok(after)["mfa_enrolment_required"] is True


# 3. Rate limits count verified identity only.


def test_forged_api_keys_naming_a_tenant_do_not_spend_its_limits(limited_api: Api) -> None:
    victim = new_member(limited_api)
    forged = bearer(f"pym_{victim.tenant_id.hex}_{'A' * 43}")
    client = limited_api.client()
    for _ in range(12):
        for response in (client.get(EXPORT, headers=forged), client.post(RUN, headers=forged)):
            # Refused, and counted against the address that sent them once it has spent its own.
            assert response.status_code in (401, 429)
            assert response.status_code == 401 or response.json["key"] == "client IP"

    headers = victim.headers()
    assert client.get(EXPORT, headers=headers).status_code == 200
    assert client.post(RUN, headers=headers).status_code == 200


def test_forged_access_tokens_count_against_the_client_address(limited_api: Api) -> None:
    victim = new_member(limited_api)
    client = limited_api.client()
    for _ in range(4):
        response = client.get(EXPORT, headers=bearer("not.a.jwt"))
    body = problem(response, 429, "too-many-requests")
    assert (body["limit"], body["key"]) == ("exports", "client IP")
    assert client.get(EXPORT, headers=victim.headers()).status_code == 200


def test_refused_callers_spend_their_own_budget_not_the_tenants(limited_api: Api) -> None:
    owner = new_member(limited_api)
    viewer = owner.add_user(Role.VIEWER)
    viewer_headers = viewer.headers()
    client = limited_api.client()
    for _ in range(3):
        refused = client.post(RUN, headers=viewer_headers)
    assert refused.status_code in (403, 429)

    headers = owner.headers()
    assert [client.post(RUN, headers=headers).status_code for _ in range(3)] == [200, 200, 429]


def test_an_api_keys_budget_is_its_tenants_once_the_key_is_verified(limited_api: Api) -> None:
    owner = new_member(limited_api)
    key = new_key(owner.headers(), limited_api, ["read"])
    client = limited_api.client()
    for _ in range(3):
        assert client.get(EXPORT, headers=bearer(key)).status_code == 200

    body = problem(client.get(EXPORT, headers=owner.headers()), 429, "too-many-requests")
    assert body["key"] == "tenant"


# 4. No privilege escalation through keys or roles.


def test_an_admin_only_key_cannot_mint_a_stronger_key(api: Api, owner: Member) -> None:
    admin_only = new_key(owner.headers(), api, ["admin", "keys"])

    minted = api.client().post(
        API_KEYS,
        json={"name": "x", "scopes": ["read", "reconcile", "admin"]},
        headers=bearer(admin_only),
    )

    body = problem(minted, 403, "forbidden")
    assert body["errors"][0]["field"] == "scopes"
    assert "read, reconcile" in body["detail"]
    assert status_of(api, admin_only, INVOICES) == 403


def test_creating_keys_needs_the_keys_scope(api: Api, owner: Member) -> None:
    admin = new_key(owner.headers(), api, ["read", "reconcile", "admin"])

    minted = api.client().post(
        API_KEYS, json={"name": "x", "scopes": ["read"]}, headers=bearer(admin)
    )

    assert problem(minted, 403, "forbidden")["detail"] == "this needs the 'keys' permission"


def test_a_key_made_by_a_key_belongs_to_that_keys_owner(api: Api, owner: Member) -> None:
    admin = owner.add_user(Role.ADMIN)
    parent = new_key(admin.headers(), api, ["read", "keys"])
    child = api.client().post(
        API_KEYS, json={"name": "c", "scopes": ["read"]}, headers=bearer(parent)
    )
    child_body = ok(child, 201)

    assert child_body["created_by_id"] == str(admin.user_id)
    assert (
        api.client().delete(f"/api/v1/users/{admin.user_id}", headers=owner.headers()).status_code
        == 204
    )
    assert status_of(api, child_body["key"], INVOICES) == 401


def test_a_key_with_only_the_admin_scope_cannot_invite_an_admin(api: Api, owner: Member) -> None:
    admin_only = new_key(owner.headers(), api, ["admin"])
    invite = {"email": "helper@example.com", "role": "admin"}

    refused = api.client().post(INVITATIONS, json=invite, headers=bearer(admin_only))
    allowed = api.client().post(
        INVITATIONS,
        json={**invite, "role": "viewer"},
        headers=bearer(new_key(owner.headers(), api, ["read", "admin"])),
    )

    assert problem(refused, 403, "forbidden")["errors"][0]["field"] == "role"
    ok(allowed, 201)


SCOPE_SETS = [
    list(combo)
    for n in range(1, len(ALL_SCOPES) + 1)
    for combo in itertools.combinations(ALL_SCOPES, n)
]


def _may_grant(held: frozenset[Any], wanted: list[str]) -> bool:
    return all(SCOPE_PERMISSIONS[ApiKeyScope(scope)] in held for scope in wanted)


@pytest.fixture(scope="module", params=BACKENDS)
def matrix_api(request: pytest.FixtureRequest) -> Iterator[Api]:
    built = _backend_api(request)
    yield built
    built.services.db.dispose()


@pytest.fixture(scope="module")
def matrix_tenant(matrix_api: Api) -> dict[str, dict[str, str]]:
    """Headers of one tenant's members of every role, and of one key for every scope set."""
    owner = new_member(matrix_api)
    callers = {f"role:{role.value}": owner.add_user(role).headers() for role in Role}
    for scopes in SCOPE_SETS:
        callers["key:" + "+".join(scopes)] = bearer(new_key(owner.headers(), matrix_api, scopes))
    return callers


def _held(caller: str) -> frozenset[Any]:
    kind, _, name = caller.partition(":")
    if kind == "role":
        return user_permissions(Role(name), platform_admin=False)
    return frozenset(SCOPE_PERMISSIONS[ApiKeyScope(s)] for s in name.split("+"))


CALLERS = [f"role:{role.value}" for role in Role] + ["key:" + "+".join(s) for s in SCOPE_SETS]


@pytest.mark.parametrize("caller", CALLERS)
def test_every_caller_grants_exactly_the_scopes_it_holds(
    matrix_api: Api, matrix_tenant: dict[str, dict[str, str]], caller: str
) -> None:
    held = _held(caller)
    client = matrix_api.client()
    for wanted in SCOPE_SETS:
        created = client.post(
            API_KEYS, json={"name": "m", "scopes": wanted}, headers=matrix_tenant[caller]
        )
        if "keys" not in {p.value for p in held}:
            expected = 403  # creating keys needs the keys permission itself
        else:
            expected = 201 if _may_grant(held, wanted) else 403
        assert created.status_code == expected, (caller, wanted, created.get_json())


@pytest.mark.parametrize("caller", [f"role:{role.value}" for role in Role])
def test_every_role_grants_only_roles_within_its_own(
    matrix_api: Api, matrix_tenant: dict[str, dict[str, str]], caller: str
) -> None:
    held = _held(caller)
    client = matrix_api.client()
    for role in Role:
        email = f"{caller[5:]}-{role.value}-{uuid.uuid4().hex[:6]}@example.com"
        invited = client.post(
            INVITATIONS, json={"email": email, "role": role.value}, headers=matrix_tenant[caller]
        )
        allowed = "admin" in {p.value for p in held} and ROLE_PERMISSIONS[role] <= held
        assert invited.status_code == (201 if allowed else 403), (caller, role)
