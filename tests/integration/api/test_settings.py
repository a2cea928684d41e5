"""Tenant settings: PUT replaces them whole and needs every field; PATCH changes only the fields
it sends, validated the same way."""

from __future__ import annotations

from typing import Any

import pytest

from payymo.auth.roles import Role
from tests.integration.api.conftest import Api, Member, new_member
from tests.integration.api.helpers import ok, problem

SETTINGS = "/api/v1/settings"


def changed(api: Api, owner: Member) -> dict[str, Any]:
    """The owner's settings after one change away from the defaults, as GET shows them."""
    headers = owner.headers()
    current = ok(api.client().get(SETTINGS, headers=headers))
    current["matching"].update({"auto_post": True, "fee_tolerance": "2.00"})
    ok(api.client().put(SETTINGS, json=current, headers=headers))
    return current


def test_a_put_without_every_field_is_refused_naming_the_missing_ones(api: Api) -> None:
    owner = new_member(api)
    before = changed(api, owner)
    headers = owner.headers()

    empty = api.client().put(SETTINGS, json={}, headers=headers)
    partial = api.client().put(
        SETTINGS,
        json={"require_mfa_for_admins": False, "matching": {"auto_post": False}},
        headers=headers,
    )

    assert {e["field"] for e in problem(empty, 422, "validation-failed")["errors"]} == {
        "require_mfa_for_admins",
        "matching",
    }
    missing = problem(partial, 422, "validation-failed")["errors"]
    assert {e["field"] for e in missing} == {
        f"matching.{name}" for name in before["matching"] if name != "auto_post"
    }
    assert {e["code"] for e in missing} == {"missing"}
    assert ok(api.client().get(SETTINGS, headers=headers)) == before


def test_a_patch_changes_only_the_fields_it_sends(api: Api) -> None:
    owner = new_member(api)
    before = changed(api, owner)
    headers = owner.headers()

    nothing = ok(api.client().patch(SETTINGS, json={}, headers=headers))
    one_rule = ok(
        api.client().patch(SETTINGS, json={"matching": {"min_margin": 0.3}}, headers=headers)
    )
    top = ok(api.client().patch(SETTINGS, json={"require_mfa_for_admins": True}, headers=headers))

    assert nothing == before
    assert one_rule == {**before, "matching": {**before["matching"], "min_margin": 0.3}}
    assert top == {**one_rule, "require_mfa_for_admins": True}
    # The policy now holds the owner (no MFA) to enrolment; a viewer reads what was stored.
    problem(api.client().get(SETTINGS, headers=headers), 403, "forbidden")
    viewer = owner.add_user(Role.VIEWER).headers()
    assert ok(api.client().get(SETTINGS, headers=viewer)) == top


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"matching": {"auto_threshold": 0.3}}, "matching.auto_threshold"),
        ({"matching": {"fee_tolerance": "-1"}}, "matching.fee_tolerance"),
        ({"matching": {"reference_patterns": ["no group"]}}, "matching.reference_patterns.0"),
        ({"matching": {"stripe_gateway": "not a gateway"}}, "matching.stripe_gateway"),
        ({"matching": {"auto_post": None}}, "matching.auto_post"),
        ({"matching": {"nope": True}}, "matching.nope"),
        ({"nope": True}, "nope"),
        ({"matching": None}, "matching"),
    ],
)
def test_a_patch_is_validated_like_a_put_and_changes_nothing_when_refused(
    api: Api, body: dict[str, Any], field: str
) -> None:
    owner = new_member(api)
    before = changed(api, owner)
    headers = owner.headers()

    refused = api.client().patch(SETTINGS, json=body, headers=headers)

    assert [e["field"] for e in problem(refused, 422, "validation-failed")["errors"]] == [field]
    assert ok(api.client().get(SETTINGS, headers=headers)) == before


def test_a_complete_put_is_validated_by_the_settings_model(api: Api) -> None:
    owner = new_member(api)
    before = changed(api, owner)
    headers = owner.headers()
    body = {**before, "matching": {**before["matching"], "fee_tolerance": "-1"}}

    refused = api.client().put(SETTINGS, json=body, headers=headers)

    errors = problem(refused, 422, "validation-failed")["errors"]
    assert [e["field"] for e in errors] == ["matching.fee_tolerance"]
    assert ok(api.client().get(SETTINGS, headers=headers)) == before


def test_the_api_document_describes_put_as_needing_every_field_and_patch_as_needing_none(
    api: Api,
) -> None:
    document = ok(api.client().get("/api/v1/openapi.json"))
    operations = document["paths"]["/api/v1/settings"]
    schemas = document["components"]["schemas"]

    def body(method: str) -> dict[str, Any]:
        ref = operations[method]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        found: dict[str, Any] = schemas[ref.rsplit("/", 1)[-1]]
        return found

    put, patch = body("put"), body("patch")
    assert set(put["required"]) == set(put["properties"]) == {"require_mfa_for_admins", "matching"}
    put_matching = schemas[put["properties"]["matching"]["$ref"].rsplit("/", 1)[-1]]
    assert set(put_matching["required"]) == set(put_matching["properties"])
    assert "required" not in patch
    patch_matching = schemas[patch["properties"]["matching"]["$ref"].rsplit("/", 1)[-1]]
    assert "required" not in patch_matching
    assert patch_matching["properties"].keys() == put_matching["properties"].keys()
    assert patch_matching["properties"]["auto_threshold"]["minimum"] == 0.5
