"""Tenant isolation matrix: for every endpoint that takes an object id, tenant B's user and B's
API key get 404 for tenant A's object; no listing shows A's rows to B. On PostgreSQL the same
holds with the application's tenant filter removed, because row-level security answers.

Endpoints come from the registry; each id-taking endpoint names its `resource`, and
`tenant_a` below holds one object of every resource kind.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
from flask.testing import FlaskClient
from pydantic import BaseModel

from payymo.api.registry import ENDPOINTS, Endpoint
from payymo.auth import apikeys, members
from payymo.auth.principal import ApiKeyScope, Permission
from payymo.auth.roles import Role
from payymo.banking.models import (
    AccountSource,
    BankAccount,
    BankConnection,
    BankTransaction,
    RequisitionStatus,
    TransactionStatus,
)
from payymo.blueprints import api_blueprints
from payymo.errors import NotFound
from payymo.events.delivery_models import Channel, NotificationChannel, WebhookEndpoint
from payymo.invoicing.models import ConnectionStatus, Invoice, InvoiceStatus
from payymo.jobs.models import JobRun
from payymo.reconciliation.models import Decision, DecisionStatus
from tests.integration.api.conftest import Api, Member, build_api, new_member

api_blueprints()
ID_ENDPOINTS = [e for e in ENDPOINTS if e.path_params]
# Listings: GETs answering a `data` list. Platform listings are cross-tenant by design
# (operators only) and the institution list is the banks', not tenant data.
LIST_ENDPOINTS = [
    e
    for e in ENDPOINTS
    if e.method == "GET"
    and not e.path_params
    and e.permission not in (None, Permission.PLATFORM)
    and e.response is not None
    and "data" in e.response.model_fields
    and not e.upstream
]
KEY_PERMISSIONS = {Permission.READ, Permission.RECONCILE, Permission.ADMIN, Permission.KEYS}


@dataclass
class TenantA:
    member: Member
    ids: dict[str, uuid.UUID]  # resource kind -> one of A's objects of that kind


def _add(api: Api, tenant_id: uuid.UUID, row: Any) -> uuid.UUID:
    with api.services.db.unit_of_work(tenant_id) as session:
        session.add(row)
        session.flush()
        row_id: uuid.UUID = row.id
        return row_id


def _populate(api: Api) -> TenantA:
    a = new_member(api)
    t = a.tenant_id
    connection = _add(
        api,
        t,
        BankConnection(
            tenant_id=t,
            institution_id="SANDBOXFINANCE_SFIN0000",
            requisition_id=f"req-{t.hex[:8]}",
            reference=f"ref-{t.hex[:8]}",
            requisition_status=RequisitionStatus.LINKED,
            status=ConnectionStatus.ACTIVE,
        ),
    )
    account = _add(
        api,
        t,
        BankAccount(
            connection_id=connection,
            tenant_id=t,
            source=AccountSource.GOCARDLESS,
            provider_account_id="acc-a",
            name="A main",
            currency="EUR",
            iban="DE89370400440532013000",
        ),
    )
    ids = {
        "user": a.add_user(Role.VIEWER).user_id,
        "bank_connection": connection,
        "bank_account": account,
        "transaction": _add(
            api,
            t,
            BankTransaction(
                tenant_id=t,
                account_id=account,
                provider_transaction_id="tx-a",
                content_hash="h",
                status=TransactionStatus.BOOKED,
                booking_date=date(2026, 11, 2),
                transaction_date=date(2026, 11, 2),
                amount_minor=4500,
                currency="EUR",
                remittance="INV-1001",
                counterparty_name="Alpha Payer",
            ),
        ),
        "invoice": _add(
            api,
            t,
            Invoice(
                tenant_id=t,
                whmcs_invoice_id=1001,
                whmcs_client_id=1,
                status=InvoiceStatus.UNPAID,
                currency="EUR",
                total_minor=4500,
                balance_minor=4500,
                client_name="Alpha Client",
            ),
        ),
        "job": _add(api, t, JobRun(tenant_id=t, kind="sync", started_at=datetime.now(UTC))),
    }
    ids["decision"] = _add(
        api,
        t,
        Decision(tenant_id=t, bank_transaction_id=ids["transaction"], status=DecisionStatus.REVIEW),
    )
    ids["webhook_endpoint"] = _add(
        api, t, WebhookEndpoint(tenant_id=t, url="https://a.example/hook", secret_encrypted="x")
    )
    ids["notification_channel"] = _add(
        api,
        t,
        NotificationChannel(
            tenant_id=t,
            channel=Channel.EMAIL,
            target_encrypted=api.services.box.encrypt("ops@a.example"),
        ),
    )
    caller = _principal(api, a)
    ids["invitation"] = members.invite(
        api.services, caller=caller, email="new@a.example", role=Role.VIEWER
    ).id
    ids["api_key"] = apikeys.create_key(
        api.services,
        caller=caller,
        name="A key",
        scopes=[ApiKeyScope.READ],
        expires_at=None,
    ).key.id
    return TenantA(a, ids)


def _principal(api: Api, member: Member) -> Any:
    from payymo.auth.authenticate import authenticate  # noqa: PLC0415

    return authenticate(api.services, f"Bearer {member.login()}")


@dataclass
class Matrix:
    api: Api
    a: TenantA
    b: dict[str, dict[str, str]]  # B's owner and B's all-scope API key, as request headers


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def matrix(request: pytest.FixtureRequest) -> Iterator[Matrix]:
    """Tenants A and B, built once per backend: B only reads, so nothing of A changes."""
    if request.param == "sqlite":
        api = build_api(request.getfixturevalue("sqlite_url"))
    else:
        api = build_api(request.getfixturevalue("postgres_url"))
    a, b = _populate(api), new_member(api)
    key = apikeys.create_key(
        api.services,
        caller=_principal(api, b),
        name="B key",
        scopes=list(ApiKeyScope),
        expires_at=None,
    )
    yield Matrix(
        api, a, {"user": b.headers(), "api_key": {"Authorization": f"Bearer {key.secret}"}}
    )
    api.services.db.dispose()


def sample(model: type[BaseModel] | None) -> Any:
    """A minimal body that satisfies `model`, so validation cannot answer before the lookup."""
    if model is None:
        return None
    schema = model.model_json_schema()
    return {
        name: "https://app.example.com/return" if "url" in name else _value(prop, schema)
        for name in schema.get("required", [])
        for prop in [schema["properties"][name]]
    }


SCALARS = {"string": "x", "boolean": False, "integer": 1, "number": 1, "array": [], "object": {}}


def _value(prop: dict[str, Any], root: dict[str, Any]) -> Any:
    """A valid value for a JSON schema property: a given example, else the simplest."""
    if "$ref" in prop:
        prop = root["$defs"][prop["$ref"].rsplit("/", 1)[-1]]
    if "anyOf" in prop:
        return _value(prop["anyOf"][0], root)
    kind = prop.get("type", "string")
    if "examples" in prop or "enum" in prop:
        value = (prop.get("examples") or prop["enum"])[0]
    elif prop.get("format") == "uuid":
        value = str(uuid.uuid4())
    elif kind == "array" and prop.get("minItems"):
        value = [_value(prop["items"], root)] * prop["minItems"]
    elif kind == "object" and "properties" in prop:
        value = {name: _value(prop["properties"][name], root) for name in prop.get("required", [])}
    else:
        value = SCALARS.get(kind, "x")
    return value


def call(client: FlaskClient, ep: Endpoint, resource_id: uuid.UUID, headers: dict[str, str]) -> int:
    path = ep.openapi_path
    for name in ep.path_params:
        path = path.replace("{" + name + "}", str(resource_id))
    body = sample(ep.body)
    response = client.open(
        path,
        method=ep.method,
        headers=headers,
        data=json.dumps(body) if body is not None else None,
        content_type="application/json" if body is not None else None,
    )
    return response.status_code


def expected(ep: Endpoint, caller: str) -> set[int]:
    if caller == "api_key" and ep.permission not in KEY_PERMISSIONS:
        return {403}  # the key may not call it at all: nothing about A is revealed either way
    return {404}


@pytest.mark.parametrize(
    "ep", ID_ENDPOINTS, ids=[f"{e.method} {e.openapi_path}" for e in ID_ENDPOINTS]
)
@pytest.mark.parametrize("caller", ["user", "api_key"])
def test_tenant_b_gets_404_for_tenant_a_objects(matrix: Matrix, ep: Endpoint, caller: str) -> None:
    ids = matrix.a.ids
    assert ep.resource in ids, f"give _populate a {ep.resource!r} for {ep.openapi_path}"
    status = call(matrix.api.client(), ep, ids[ep.resource], matrix.b[caller])
    assert status in expected(ep, caller)


@pytest.mark.parametrize(
    "ep", ID_ENDPOINTS, ids=[f"{e.method} {e.openapi_path}" for e in ID_ENDPOINTS]
)
def test_tenant_a_reaches_its_own_objects(sqlite_api: Api, ep: Endpoint) -> None:
    """The control: the same request by A's owner is not a 404 (so 404 above means isolation)."""
    a = _populate(sqlite_api)
    status = call(sqlite_api.client(), ep, a.ids[ep.resource], a.member.headers())  # type: ignore[index]
    assert status != 404


@pytest.mark.parametrize("ep", LIST_ENDPOINTS, ids=[e.openapi_path for e in LIST_ENDPOINTS])
@pytest.mark.parametrize("caller", ["user", "api_key"])
def test_listings_never_show_tenant_a_rows(matrix: Matrix, ep: Endpoint, caller: str) -> None:
    tenant_a = matrix.a
    response = matrix.api.client().get(ep.openapi_path, headers=matrix.b[caller])
    if response.status_code == 403 and caller == "api_key":
        return
    assert response.status_code == 200, response.json
    text = response.get_data(as_text=True)
    leaked = [kind for kind, object_id in tenant_a.ids.items() if str(object_id) in text]
    assert leaked == []
    assert str(tenant_a.member.tenant_id) not in text


def unfiltered_lookups() -> list[tuple[str, str, Callable[..., Any]]]:
    """Repository getters replaced by versions without the tenant filter."""
    from sqlalchemy import select  # noqa: PLC0415

    def plain(model: Any) -> Callable[..., Any]:
        def lookup(session: Any, _tenant_id: Any, object_id: Any, **_: Any) -> Any:
            return session.scalars(select(model).where(model.id == object_id)).one_or_none()

        return lookup

    def required(lookup: Callable[..., Any]) -> Callable[..., Any]:
        def lookup_or_404(*args: Any, **kwargs: Any) -> Any:
            found = lookup(*args, **kwargs)
            if found is None:
                raise NotFound(detail="not found")
            return found

        return lookup_or_404

    from payymo.auth.models import ApiKey, Invitation, User  # noqa: PLC0415

    return [
        ("payymo.banking.repository", "transaction", plain(BankTransaction)),
        ("payymo.banking.repository", "account", plain(BankAccount)),
        ("payymo.banking.connections", "_locked", required(plain(BankConnection))),
        ("payymo.invoicing.repository", "invoice", plain(Invoice)),
        ("payymo.jobs.repository", "job", plain(JobRun)),
        ("payymo.auth.repository", "user_by_id", plain(User)),
        ("payymo.auth.repository", "api_key", plain(ApiKey)),
        ("payymo.auth.repository", "invitation", plain(Invitation)),
    ]


@pytest.mark.postgres
@pytest.mark.parametrize("caller", ["user", "api_key"])
def test_row_level_security_holds_when_the_app_filter_is_removed(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, caller: str
) -> None:
    from tests.integration.api.conftest import build_api  # noqa: PLC0415

    api = build_api(request.getfixturevalue("postgres_url"))
    try:
        a, b = _populate(api), new_member(api)
        key = apikeys.create_key(
            api.services,
            caller=_principal(api, b),
            name="B key",
            scopes=list(ApiKeyScope),
            expires_at=None,
        )
        headers = b.headers() if caller == "user" else {"Authorization": f"Bearer {key.secret}"}
        for module, name, replacement in unfiltered_lookups():
            monkeypatch.setattr(f"{module}.{name}", replacement)
        for ep in ID_ENDPOINTS:
            status = call(api.client(), ep, a.ids[ep.resource], headers)  # type: ignore[index]
            assert status in expected(ep, caller), f"{ep.method} {ep.openapi_path}: {status}"
    finally:
        api.services.db.dispose()
