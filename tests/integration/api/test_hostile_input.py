"""Hostile requests get a problem, never a 500: JSON nested too deep (400) or too large (413)
on every JSON endpoint, amounts beyond what can be stored (422 on the amount), validly signed
tokens with claims Payymo never issues (401), and 204 answers without a body or a type."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

import jwt
import pytest
from werkzeug.test import TestResponse

from payymo.api.registry import ENDPOINTS, Endpoint
from payymo.auth.roles import Role
from payymo.auth.tokens import ALGORITHM, ISSUER
from payymo.blueprints import api_blueprints
from tests.integration.api.conftest import Api, Member, new_member
from tests.integration.api.helpers import LOGIN, LOGOUT, RESET_REQUEST, bearer, ok, problem
from tests.integration.api.test_reconciliation_run import RUN, books
from tests.integration.api.test_review import review_item

api_blueprints()  # registers every endpoint before collection reads ENDPOINTS
JSON_ENDPOINTS = sorted((e for e in ENDPOINTS if e.body is not None), key=lambda e: e.name)
DEEP = "[" * 1000 + "]" * 1000
MAX_DEPTH = 64  # the limits docs/api.md states
MAX_BODY_BYTES = 64 * 1024
HUGE = "9999999999999999999999999999.99"  # 30 digits: more than Decimal's default precision
_PATH_VALUE = re.compile(r"<(?:(?P<conv>[a-z]+):)?(?P<name>\w+)>")


def _url(ep: Endpoint) -> str:
    """The endpoint's rule with any id filled in: the body is read before an id is looked up."""
    return _PATH_VALUE.sub(lambda m: "1" if m["conv"] == "int" else str(uuid.uuid4()), ep.rule)


def _send(api: Api, ep: Endpoint, body: bytes | str, **kwargs: Any) -> TestResponse:
    headers = kwargs.pop("headers", {})
    if ep.permission is not None:
        headers = {**headers, **new_member(api).headers()}
    return api.client().open(
        _url(ep),
        method=ep.method,
        data=body,
        content_type="application/json",
        headers=headers,
        **kwargs,
    )


def test_every_json_endpoint_is_parametrized_here_including_the_public_ones() -> None:
    public = {e.rule for e in JSON_ENDPOINTS if e.permission is None}
    assert {LOGIN, RESET_REQUEST} <= public
    assert len(JSON_ENDPOINTS) >= 20


@pytest.mark.parametrize("ep", JSON_ENDPOINTS, ids=lambda e: f"{e.method} {e.rule}")
def test_json_nested_a_thousand_deep_is_a_400_on_every_json_endpoint(
    sqlite_api: Api, ep: Endpoint
) -> None:
    body = problem(_send(sqlite_api, ep, DEEP), 400, "malformed-json")
    assert "nested too deep" in body["detail"]


def test_json_nested_exactly_at_the_limit_reaches_validation(sqlite_api: Api) -> None:
    at_limit = '{"workspace": ' + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "}"
    over = '{"workspace": ' + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "}"
    client = sqlite_api.client()

    problem(
        client.post(LOGIN, data=at_limit, content_type="application/json"), 422, "validation-failed"
    )
    problem(client.post(LOGIN, data=over, content_type="application/json"), 400, "malformed-json")


def test_brackets_inside_strings_do_not_count_as_nesting(sqlite_api: Api) -> None:
    member = new_member(sqlite_api)
    text = '[{"\\"' * 150  # brackets, quotes and escapes, all inside one string
    body = {"workspace": member.slug, "email": member.email, "password": text}

    problem(sqlite_api.client().post(LOGIN, json=body), 401, "unauthorized")


def _large(size: int) -> bytes:
    return b'{"workspace": "' + b"w" * size + b'"}'


@pytest.mark.parametrize("rule", [LOGIN, "/api/v1/settings"])
def test_a_body_over_the_api_limit_is_a_413_by_its_content_length(
    sqlite_api: Api, rule: str
) -> None:
    ep = next(e for e in JSON_ENDPOINTS if e.rule == rule)
    body = problem(_send(sqlite_api, ep, _large(MAX_BODY_BYTES)), 413, "request-entity-too-large")
    assert str(MAX_BODY_BYTES) in body["detail"]


@pytest.mark.parametrize("rule", [LOGIN, "/api/v1/settings"])
def test_a_chunked_body_over_the_api_limit_is_a_413_too(sqlite_api: Api, rule: str) -> None:
    ep = next(e for e in JSON_ENDPOINTS if e.rule == rule)
    # No Content-Length: the server (gunicorn, as the environ says) ends the stream.
    chunked = {"headers": {"Transfer-Encoding": "chunked"}}
    terminated = {"environ_overrides": {"wsgi.input_terminated": True}}
    response = _send(sqlite_api, ep, _large(MAX_BODY_BYTES), **chunked, **terminated)
    problem(response, 413, "request-entity-too-large")


def test_a_chunked_body_under_the_limit_is_read_whole(sqlite_api: Api) -> None:
    member = new_member(sqlite_api)
    body = f'{{"workspace": "{member.slug}", "email": "{member.email}", "password": "wrong"}}'
    response = sqlite_api.client().post(
        LOGIN,
        data=body,
        content_type="application/json",
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    problem(response, 401, "unauthorized")


# Amounts


def _proposed(api: Api) -> tuple[Member, uuid.UUID, str, dict[int, str]]:
    """A tenant with a payment waiting for review, and its invoices by WHMCS number."""
    owner, ids = books(api)
    ok(api.client().post(RUN, headers=owner.headers()))
    decision_id = review_item(api, owner.headers(), ids["amount"])["decision"]["id"]
    listed = ok(api.client().get("/api/v1/invoices?limit=100", headers=owner.headers()))["data"]
    invoices = {i["whmcs_invoice_id"]: i["id"] for i in listed}
    return owner, ids["amount"], decision_id, invoices


@pytest.mark.parametrize("action", ["approve", "reassign", "split"])
@pytest.mark.parametrize("field", ["amount", "fee"])
def test_an_amount_beyond_what_can_be_stored_is_a_422_on_that_amount_and_changes_nothing(
    api: Api, action: str, field: str
) -> None:
    owner, transaction_id, decision_id, invoices = _proposed(api)
    sane = {"invoice_id": invoices[1025], "amount": "1.00"}
    hostile = {"invoice_id": invoices[1024], "amount": "1.00", field: HUGE}
    url = f"/api/v1/decisions/{decision_id}/{action}"

    response = api.client().post(
        url, headers=owner.headers(), json={"allocations": [sane, hostile]}
    )

    body = problem(response, 422, "validation-failed")
    assert [e["field"] for e in body["errors"]] == [f"allocations.1.{field}"]
    assert "out of range" in body["errors"][0]["message"]
    still = review_item(api, owner.headers(), transaction_id)["decision"]
    assert (still["id"], still["state"]) == (decision_id, "proposed")


# Tokens


def _signed(api: Api, member: Member, **claims: Any) -> str:
    """An access token signed with the app's own key, as Payymo issues it for a session of
    `member`'s, `claims` changed."""
    now = api.clock.now()
    session = jwt.decode(member.login(), options={"verify_signature": False})["sid"]
    issued = {
        "iss": ISSUER,
        "typ": "access",
        "sub": str(member.user_id),
        "tid": str(member.tenant_id),
        "sid": session,
        "role": member.role.value,
        "pa": False,
        "lim": False,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=15)).timestamp()),
        "jti": uuid.uuid4().hex,
        **claims,
    }
    secret = api.services.settings.effective_secret_key
    return jwt.encode({k: v for k, v in issued.items() if v is not None}, secret, ALGORITHM)


@pytest.mark.parametrize(
    "claims",
    [
        {"role": "superuser"},
        {"role": None},
        {"role": ["owner"]},
        {"sub": 12345},
        {"tid": "not-a-uuid"},
        {"sid": "not-a-uuid"},
        {"sid": None},
        {"exp": "tomorrow"},
        {"exp": 10**20},
        {"pa": "yes"},
        {"lim": 1},
    ],
    ids=repr,
)
def test_a_validly_signed_token_with_a_malformed_claim_is_a_401(
    sqlite_api: Api, claims: dict[str, Any]
) -> None:
    member = new_member(sqlite_api)
    token = _signed(sqlite_api, member, **claims)

    response = sqlite_api.client().get("/api/v1/me", headers=bearer(token))

    body = problem(response, 401, "unauthorized")
    assert body["detail"] == "the access token is invalid or expired"
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="payymo"'


def test_the_same_token_with_the_claims_payymo_issues_is_accepted(sqlite_api: Api) -> None:
    member = new_member(sqlite_api)
    ok(sqlite_api.client().get("/api/v1/me", headers=bearer(_signed(sqlite_api, member))))


def test_a_validly_signed_token_of_no_open_session_is_a_401(sqlite_api: Api) -> None:
    member = new_member(sqlite_api)
    token = _signed(sqlite_api, member, sid=str(uuid.uuid4()))

    response = sqlite_api.client().get("/api/v1/me", headers=bearer(token))

    assert (
        problem(response, 401, "unauthorized")["detail"] == "the session has ended; sign in again"
    )


def test_the_role_a_token_claims_is_not_what_the_caller_gets(sqlite_api: Api) -> None:
    viewer = new_member(sqlite_api).add_user(Role.VIEWER)
    token = _signed(sqlite_api, viewer, role="owner", pa=True)

    me = ok(sqlite_api.client().get("/api/v1/me", headers=bearer(token)))
    invitations = sqlite_api.client().get("/api/v1/invitations", headers=bearer(token))

    assert me["role"] == "viewer"
    problem(invitations, 403, "forbidden")


# 204


def test_a_204_answer_has_no_body_and_no_content_type(sqlite_api: Api) -> None:
    member = new_member(sqlite_api)
    client = sqlite_api.client()
    member.login(client)

    response = client.post(LOGOUT)

    assert response.status_code == 204
    assert response.get_data() == b""
    assert "Content-Type" not in response.headers
    assert "Content-Length" not in response.headers or response.headers["Content-Length"] == "0"
