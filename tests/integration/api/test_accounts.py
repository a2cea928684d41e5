"""The account API: the caller's own profile and password, roles and their limits, API keys,
invitations, and the GDPR rights (erasing a user, exporting or purging a whole tenant)."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from payymo.auth.roles import Role
from payymo.auth.tokens import token_hash
from payymo.db import tenant_owned_tables
from payymo.models import Base
from payymo.tenants.schemas import TenantSettingsModel
from tests.integration.api.conftest import PASSWORD, Api, Member, new_member
from tests.integration.api.helpers import (
    NEW_PASSWORD,
    REFRESH,
    RESET_REQUEST,
    audited,
    audited_actions,
    bearer,
    emailed_token,
    enable_mfa,
    ok,
    problem,
    refresh_cookie,
    sign_in,
    stored_user,
)

API_KEYS = "/api/v1/api-keys"
INVITATIONS = "/api/v1/invitations"
ACCEPT = "/api/v1/auth/invitations/accept"


def create_key(api: Api, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    body = {"name": "Reporting", "scopes": ["read"], **fields}
    response = api.client().post(API_KEYS, json=body, headers=headers)
    created: dict[str, Any] = ok(response, 201)
    return created


def invite(api: Api, headers: dict[str, str], email: str, role: str) -> TestResponse:
    return api.client().post(INVITATIONS, json={"email": email, "role": role}, headers=headers)


def accept(api: Api, token: str) -> TestResponse:
    return api.client().post(
        ACCEPT, json={"token": token, "full_name": "New Hire", "password": NEW_PASSWORD}
    )


def admin_only_requests(
    user_id: uuid.UUID,
) -> list[tuple[str, str, dict[str, Any] | None, str]]:
    """One valid request to each endpoint that needs the admin (or keys) permission, with the
    permission it needs."""
    return [
        ("PATCH", "/api/v1/tenant", {"name": "Renamed"}, "admin"),
        ("PUT", "/api/v1/settings", TenantSettingsModel().model_dump(mode="json"), "admin"),
        ("PATCH", "/api/v1/settings", {"require_mfa_for_admins": True}, "admin"),
        ("POST", API_KEYS, {"name": "ci", "scopes": ["read"]}, "keys"),
        ("GET", API_KEYS, None, "keys"),
        ("POST", INVITATIONS, {"email": "someone@example.com", "role": "viewer"}, "admin"),
        ("GET", INVITATIONS, None, "admin"),
        ("PATCH", f"/api/v1/users/{user_id}", {"role": "viewer"}, "admin"),
        ("DELETE", f"/api/v1/users/{user_id}", None, "admin"),
        ("GET", "/api/v1/audit-log", None, "admin"),
    ]


def tenant_row_counts(api: Api, tenant_id: uuid.UUID) -> dict[str, int]:
    """How many rows of each table belong to `tenant_id` (the tenants row included)."""
    tables = Base.metadata.tables
    counts: dict[str, int] = {}
    with api.services.db.unit_of_work(tenant_id) as session:
        for name in ["tenants", *tenant_owned_tables()]:
            column = tables[name].c.id if name == "tenants" else tables[name].c.tenant_id
            query = select(func.count()).select_from(tables[name]).where(column == tenant_id)
            counts[name] = session.scalar(query) or 0
    return counts


# The signed-in user's own account


def test_me_shows_the_signed_in_user_and_updates_their_name(sqlite_api: Api) -> None:
    member = new_member(sqlite_api)
    headers = member.headers()
    client = sqlite_api.client()

    me = client.get("/api/v1/me", headers=headers)
    renamed = client.patch("/api/v1/me", json={"full_name": "  Ada Lovelace "}, headers=headers)

    body = ok(me)
    assert (body["id"], body["email"], body["role"]) == (str(member.user_id), member.email, "owner")
    assert (body["is_active"], body["mfa_enabled"], body["full_name"]) == (True, False, "")
    assert datetime.fromisoformat(body["last_login_at"]) == sqlite_api.clock.now()
    assert ok(renamed)["full_name"] == "Ada Lovelace"
    assert ok(client.get("/api/v1/me", headers=headers))["full_name"] == "Ada Lovelace"
    assert "user.updated" in audited_actions(sqlite_api, headers, object_id=str(member.user_id))


def test_changing_the_password_needs_the_current_one_and_signs_out_other_sessions(
    sqlite_api: Api,
) -> None:
    member = new_member(sqlite_api)
    elsewhere = sqlite_api.client()
    member.login(elsewhere)
    headers = member.headers()
    client = sqlite_api.client()

    wrong_current = client.post(
        "/api/v1/me/password",
        json={"current_password": "not my password", "new_password": NEW_PASSWORD},
        headers=headers,
    )
    too_short = client.post(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": "short"},
        headers=headers,
    )
    changed = client.post(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=headers,
    )

    assert problem(wrong_current, 422, "validation-failed")["errors"][0]["field"] == (
        "current_password"
    )
    assert problem(too_short, 422, "validation-failed")["errors"][0]["field"] == "new_password"
    assert changed.status_code == 204
    problem(sign_in(client, member), 401, "unauthorized")
    assert sign_in(client, member, password=NEW_PASSWORD).status_code == 200
    problem(elsewhere.post(REFRESH), 401, "unauthorized")
    assert "user.password_changed" in audited_actions(
        sqlite_api, headers, object_id=str(member.user_id)
    )


# Roles


@pytest.mark.parametrize("role", [Role.VIEWER, Role.ACCOUNTANT])
def test_viewers_and_accountants_can_read_but_are_refused_every_admin_endpoint(
    sqlite_api: Api, role: Role
) -> None:
    owner = new_member(sqlite_api)
    member = owner.add_user(role)
    headers = member.headers()
    client = sqlite_api.client()

    for path in (
        "/api/v1/tenant",
        "/api/v1/settings",
        "/api/v1/users",
        f"/api/v1/users/{owner.user_id}",
    ):
        assert client.get(path, headers=headers).status_code == 200, path
    for method, path, body, needed in admin_only_requests(owner.user_id):
        response = client.open(path, method=method, json=body, headers=headers)
        detail = problem(response, 403, "forbidden")["detail"]
        assert detail == f"this needs the {needed!r} permission", (method, path)
    assert ok(client.get("/api/v1/tenant", headers=headers))["name"] != "Renamed"


def test_an_admin_may_not_export_or_delete_the_tenant(sqlite_api: Api) -> None:
    admin = new_member(sqlite_api).add_user(Role.ADMIN)
    headers = admin.headers()
    client = sqlite_api.client()

    exported = client.post("/api/v1/tenant/export", headers=headers)
    deleted = client.delete("/api/v1/tenant", json={"confirm": admin.slug}, headers=headers)

    assert problem(exported, 403, "forbidden")["detail"] == "this needs the 'owner' permission"
    assert problem(deleted, 403, "forbidden")["detail"] == "this needs the 'owner' permission"
    assert client.get("/api/v1/tenant", headers=headers).status_code == 200


def test_an_admin_cannot_grant_the_owner_role_nor_demote_or_erase_an_owner(
    sqlite_api: Api,
) -> None:
    owner = new_member(sqlite_api)
    admin = owner.add_user(Role.ADMIN)
    viewer = owner.add_user(Role.VIEWER)
    headers = admin.headers()
    client = sqlite_api.client()

    granted = client.patch(
        f"/api/v1/users/{viewer.user_id}", json={"role": "owner"}, headers=headers
    )
    demoted = client.patch(
        f"/api/v1/users/{owner.user_id}", json={"role": "viewer"}, headers=headers
    )
    erased = client.delete(f"/api/v1/users/{owner.user_id}", headers=headers)
    promoted = client.patch(
        f"/api/v1/users/{viewer.user_id}", json={"role": "accountant"}, headers=headers
    )

    for refused in (granted, demoted, erased):
        assert "only an owner" in problem(refused, 403, "forbidden")["detail"]
    assert ok(promoted)["role"] == "accountant"
    still_owner = ok(client.get(f"/api/v1/users/{owner.user_id}", headers=headers))
    assert (still_owner["role"], still_owner["is_active"]) == ("owner", True)
    (change,) = audited(sqlite_api, headers, action="user.updated", object_id=str(viewer.user_id))
    assert (change["before"]["role"], change["after"]["role"]) == ("viewer", "accountant")
    assert change["actor_id"] == str(admin.user_id)


def test_the_last_owner_cannot_be_demoted_deactivated_or_erased(sqlite_api: Api) -> None:
    owner = new_member(sqlite_api)
    headers = owner.headers()
    client = sqlite_api.client()
    own_user = f"/api/v1/users/{owner.user_id}"

    demoted = client.patch(own_user, json={"role": "admin"}, headers=headers)
    deactivated = client.patch(own_user, json={"is_active": False}, headers=headers)
    erased = client.delete(own_user, headers=headers)

    for refused in (demoted, deactivated, erased):
        assert "at least one active owner" in problem(refused, 409, "conflict")["detail"]
    owner.add_user(Role.OWNER)
    handed_over = client.patch(own_user, json={"role": "admin"}, headers=headers)
    assert ok(handed_over)["role"] == "admin"


# API keys


def test_an_api_key_is_shown_once_and_then_works_as_a_bearer_token_within_its_scopes(
    api: Api,
) -> None:
    owner = new_member(api)
    headers = owner.headers()
    client = api.client()

    created = create_key(api, headers, name="Reporting", scopes=["read"])
    secret = created["key"]
    listed = client.get(API_KEYS, headers=headers)
    fetched = client.get(f"{API_KEYS}/{created['id']}", headers=headers)
    api.clock.advance(minutes=5)
    as_key = client.get("/api/v1/tenant", headers=bearer(secret))

    assert secret.startswith(f"pym_{owner.tenant_id.hex}_")
    assert created["scopes"] == ["read"]
    assert created["last_used_at"] is None
    for response in (listed, fetched):
        assert secret not in response.get_data(as_text=True)
    assert "key" not in ok(listed)["data"][0]
    assert "key" not in ok(fetched)
    assert ok(as_key)["id"] == str(owner.tenant_id)
    used = ok(client.get(f"{API_KEYS}/{created['id']}", headers=headers))
    assert datetime.fromisoformat(used["last_used_at"]) == api.clock.now()
    for method, path, body, needed in admin_only_requests(owner.user_id):
        response = client.open(path, method=method, json=body, headers=bearer(secret))
        detail = problem(response, 403, "forbidden")["detail"]
        assert detail == f"this needs the {needed!r} permission", (method, path)
    admin_key = create_key(api, headers, scopes=["read", "admin"])["key"]
    keys_key = create_key(api, headers, scopes=["keys"])["key"]
    assert client.get(INVITATIONS, headers=bearer(admin_key)).status_code == 200
    assert client.get(API_KEYS, headers=bearer(admin_key)).status_code == 403
    assert client.get(API_KEYS, headers=bearer(keys_key)).status_code == 200
    (entry,) = audited(api, headers, action="api_key.created", object_id=created["id"])
    assert (entry["actor_type"], entry["actor_id"]) == ("user", str(owner.user_id))


def test_a_revoked_api_key_is_refused(api: Api) -> None:
    owner = new_member(api)
    headers = owner.headers()
    client = api.client()
    created = create_key(api, headers)
    assert client.get("/api/v1/tenant", headers=bearer(created["key"])).status_code == 200

    revoked = client.delete(f"{API_KEYS}/{created['id']}", headers=headers)
    refused = client.get("/api/v1/tenant", headers=bearer(created["key"]))
    revoked_again = client.delete(f"{API_KEYS}/{created['id']}", headers=headers)

    assert datetime.fromisoformat(ok(revoked)["revoked_at"]) == api.clock.now()
    assert problem(refused, 401, "unauthorized")["detail"] == (
        "the API key is invalid, revoked or expired"
    )
    assert refused.headers["WWW-Authenticate"] == 'Bearer realm="payymo"'
    problem(revoked_again, 409, "conflict")
    assert "api_key.revoked" in audited_actions(api, headers, object_id=created["id"])


def test_an_api_key_stops_working_when_it_expires(api: Api) -> None:
    owner = new_member(api)
    headers = owner.headers()
    client = api.client()
    expires_at = api.clock.now() + timedelta(hours=1)
    created = create_key(api, headers, expires_at=expires_at.isoformat())
    in_the_past = client.post(
        API_KEYS,
        json={"name": "late", "scopes": ["read"], "expires_at": api.clock.now().isoformat()},
        headers=headers,
    )

    api.clock.advance(minutes=59)
    before_expiry = client.get("/api/v1/tenant", headers=bearer(created["key"]))
    api.clock.advance(minutes=1)
    at_expiry = client.get("/api/v1/tenant", headers=bearer(created["key"]))

    assert datetime.fromisoformat(created["expires_at"]) == expires_at
    assert problem(in_the_past, 422, "validation-failed")["errors"][0]["field"] == "expires_at"
    assert before_expiry.status_code == 200
    problem(at_expiry, 401, "unauthorized")


def test_a_malformed_or_unknown_api_key_is_refused(api: Api) -> None:
    owner = new_member(api)
    client = api.client()

    malformed = client.get("/api/v1/tenant", headers=bearer("pym_not-a-key"))
    unknown = client.get("/api/v1/tenant", headers=bearer(f"pym_{owner.tenant_id.hex}_{'A' * 43}"))

    assert problem(malformed, 401, "unauthorized")["detail"] == "malformed API key"
    assert malformed.headers["WWW-Authenticate"] == 'Bearer realm="payymo"'
    assert problem(unknown, 401, "unauthorized")["detail"] == (
        "the API key is invalid, revoked or expired"
    )


# Invitations


def test_an_invited_person_accepts_the_emailed_invitation_and_can_sign_in(
    sqlite_api: Api,
) -> None:
    owner = new_member(sqlite_api)
    admin = owner.add_user(Role.ADMIN)
    headers = admin.headers()

    invited = invite(sqlite_api, headers, "New.Hire@Example.com", "accountant")
    token = emailed_token(sqlite_api, "inv")
    accepted = accept(sqlite_api, token)
    accepted_again = accept(sqlite_api, token)

    invitation = ok(invited, 201)
    assert (invitation["email"], invitation["role"]) == ("new.hire@example.com", "accountant")
    assert datetime.fromisoformat(invitation["expires_at"]) == (
        sqlite_api.clock.now() + timedelta(days=7)
    )
    (mail,) = sqlite_api.mailer.outbox
    assert mail.to == "new.hire@example.com"
    user = ok(accepted, 201)
    assert (user["email"], user["role"], user["full_name"]) == (
        "new.hire@example.com",
        "accountant",
        "New Hire",
    )
    assert problem(accepted_again, 422, "validation-failed")["errors"][0]["field"] == "token"
    newcomer = Member(
        sqlite_api,
        owner.tenant_id,
        owner.slug,
        uuid.UUID(user["id"]),
        user["email"],
        Role.ACCOUNTANT,
    )
    signed_in = sign_in(sqlite_api.client(), newcomer, password=NEW_PASSWORD)
    assert ok(signed_in)["role"] == "accountant"
    (created,) = audited(sqlite_api, headers, action="invitation.created")
    assert (created["object_id"], created["actor_id"]) == (invitation["id"], str(admin.user_id))
    assert "invitation.accepted" in audited_actions(sqlite_api, headers, object_id=user["id"])


def test_a_revoked_or_expired_invitation_cannot_be_accepted(sqlite_api: Api) -> None:
    owner = new_member(sqlite_api)
    headers = owner.headers()
    client = sqlite_api.client()
    revoked_id = ok(invite(sqlite_api, headers, "first@example.com", "viewer"), 201)["id"]
    revoked_token = emailed_token(sqlite_api, "inv")
    invite(sqlite_api, headers, "second@example.com", "viewer")
    expiring_token = emailed_token(sqlite_api, "inv")

    revoked = client.delete(f"{INVITATIONS}/{revoked_id}", headers=headers)
    revoked_again = client.delete(f"{INVITATIONS}/{revoked_id}", headers=headers)
    after_revocation = accept(sqlite_api, revoked_token)
    sqlite_api.clock.advance(days=7)
    after_expiry = accept(sqlite_api, expiring_token)

    assert revoked.status_code == 204
    problem(revoked_again, 409, "conflict")
    problem(after_revocation, 422, "validation-failed")
    problem(after_expiry, 422, "validation-failed")
    headers = owner.headers()
    users = ok(client.get("/api/v1/users", headers=headers))["data"]
    assert [u["email"] for u in users] == [owner.email]
    assert "invitation.revoked" in audited_actions(sqlite_api, headers, object_id=revoked_id)


def test_inviting_the_email_of_an_existing_user_conflicts(sqlite_api: Api) -> None:
    owner = new_member(sqlite_api)
    viewer = owner.add_user(Role.VIEWER)

    response = invite(sqlite_api, owner.headers(), viewer.email.upper(), "admin")

    problem(response, 409, "conflict")
    assert sqlite_api.mailer.outbox == []


def test_only_an_owner_may_invite_an_owner(sqlite_api: Api) -> None:
    owner = new_member(sqlite_api)
    admin = owner.add_user(Role.ADMIN)

    by_admin = invite(sqlite_api, admin.headers(), "boss@example.com", "owner")
    by_owner = invite(sqlite_api, owner.headers(), "boss@example.com", "owner")

    assert problem(by_admin, 403, "forbidden")["detail"] == "only an owner can grant the owner role"
    assert ok(by_owner, 201)["role"] == "owner"
    assert [mail.to for mail in sqlite_api.mailer.outbox] == ["boss@example.com"]


# GDPR


def test_erasing_a_user_removes_their_email_and_name_but_audit_entries_keep_their_id(
    sqlite_api: Api,
) -> None:
    owner = new_member(sqlite_api)
    headers = owner.headers()
    client = sqlite_api.client()
    invite(sqlite_api, headers, "grace@example.com", "accountant")
    grace_id = ok(accept(sqlite_api, emailed_token(sqlite_api, "inv")), 201)["id"]
    grace = Member(
        sqlite_api,
        owner.tenant_id,
        owner.slug,
        uuid.UUID(grace_id),
        "grace@example.com",
        Role.ACCOUNTANT,
    )
    grace_token = ok(sign_in(client, grace, password=NEW_PASSWORD))["access_token"]
    client.patch("/api/v1/me", json={"full_name": "Grace Hopper"}, headers=bearer(grace_token))
    user_path = f"/api/v1/users/{grace_id}"

    erased = client.delete(user_path, headers=headers)
    erased_again = client.delete(user_path, headers=headers)

    assert erased.status_code == 204
    problem(erased_again, 404, "not-found")
    shown = ok(client.get(user_path, headers=headers))
    assert shown["email"] == f"erased-{grace.user_id.hex}@erased.invalid"
    assert (shown["full_name"], shown["is_active"]) == ("", False)
    problem(sign_in(client, grace, password=NEW_PASSWORD), 401, "unauthorized")
    entries = audited(sqlite_api, headers, object_id=grace_id)
    assert {"invitation.accepted", "user.signed_in", "user.updated", "user.erased"} <= {
        e["action"] for e in entries
    }
    invitations = client.get(INVITATIONS, headers=headers).get_data(as_text=True)
    assert "grace@example.com" not in invitations
    exported = client.post("/api/v1/tenant/export", headers=headers).get_data()
    with zipfile.ZipFile(io.BytesIO(exported)) as archive:
        everything = b"".join(archive.read(name) for name in archive.namelist())
    assert grace_id.encode() in everything
    for personal in (b"grace@example.com", b"Grace Hopper", b"New Hire"):
        assert personal not in everything


def test_the_tenant_export_lists_every_table_and_holds_no_credentials(sqlite_api: Api) -> None:
    owner = new_member(sqlite_api)
    client = sqlite_api.client()
    headers = bearer(owner.login(client))
    mfa_secret, _ = enable_mfa(sqlite_api, headers)
    api_key = create_key(sqlite_api, headers)["key"]
    client.post(RESET_REQUEST, json={"workspace": owner.slug, "email": owner.email})
    reset_token = emailed_token(sqlite_api, "prt")
    invite(sqlite_api, headers, "new.hire@example.com", "viewer")
    invitation_token = emailed_token(sqlite_api, "inv")
    secrets = [api_key, refresh_cookie(client), reset_token, invitation_token]
    encrypted = stored_user(sqlite_api, owner).mfa_secret_encrypted
    assert encrypted is not None

    exported = client.post("/api/v1/tenant/export", headers=headers)

    assert exported.status_code == 200
    assert exported.mimetype == "application/zip"
    assert "payymo-export.zip" in exported.headers["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(exported.get_data())) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    manifest = json.loads(files["manifest.json"])
    assert manifest["tenant_id"] == str(owner.tenant_id)
    assert set(manifest["rows"]) == {"tenants", *tenant_owned_tables()}
    for table in ("tenants", "users", "api_keys", "refresh_tokens", "invitations"):
        assert manifest["rows"][table] == 1, table
    assert manifest["rows"]["password_reset_tokens"] == 1
    assert all(f"{t}.json" in files and f"{t}.csv" in files for t in manifest["rows"])
    everything = b"".join(files.values())
    assert owner.email.encode() in everything
    assert b"$argon2" not in everything
    for secret in secrets:
        assert secret.encode() not in everything
        assert token_hash(secret).encode() not in everything
    assert encrypted.encode() not in everything
    assert mfa_secret.encode() not in everything
    assert "tenant.exported" in audited_actions(sqlite_api, headers, object_id=str(owner.tenant_id))


def test_deleting_the_tenant_needs_its_slug_and_purges_every_row_it_owns(api: Api) -> None:
    owner = new_member(api)
    bystander = new_member(api)
    client = api.client()
    headers = bearer(owner.login(client))
    api_key = create_key(api, headers)["key"]
    owner.add_user(Role.VIEWER)
    invite(api, headers, "new.hire@example.com", "viewer")
    client.post(RESET_REQUEST, json={"workspace": owner.slug, "email": owner.email})
    counts_before = tenant_row_counts(api, owner.tenant_id)

    wrong_slug = client.delete("/api/v1/tenant", json={"confirm": bystander.slug}, headers=headers)
    still_there = client.get("/api/v1/tenant", headers=headers)
    deleted = client.delete("/api/v1/tenant", json={"confirm": owner.slug}, headers=headers)

    assert problem(wrong_slug, 422, "validation-failed")["errors"][0]["field"] == "confirm"
    assert still_there.status_code == 200
    assert deleted.status_code == 204
    for table in ("tenants", "users", "api_keys", "refresh_tokens", "invitations", "audit_log"):
        assert counts_before[table] >= 1, table
    assert set(tenant_row_counts(api, owner.tenant_id).values()) == {0}
    problem(sign_in(client, owner), 401, "unauthorized")
    problem(client.post(REFRESH), 401, "unauthorized")
    problem(client.get("/api/v1/tenant", headers=bearer(api_key)), 401, "unauthorized")
    assert bystander.login()
    bystander_counts = tenant_row_counts(api, bystander.tenant_id)
    assert (bystander_counts["tenants"], bystander_counts["users"]) == (1, 1)
