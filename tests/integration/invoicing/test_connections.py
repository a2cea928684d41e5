"""Connecting a tenant's WHMCS: verified live, stored encrypted, replaced, disconnected, audited."""

from __future__ import annotations

import dataclasses
import json
import uuid
from typing import Any

import pytest
from sqlalchemy import select

from payymo.audit.models import AuditEntry
from payymo.audit.services import Actor
from payymo.errors import NotFound, ServiceUnavailable, ValidationFailed
from payymo.invoicing.connections import (
    client_for,
    connect_whmcs,
    disconnect_whmcs,
    get_whmcs_connection,
)
from payymo.invoicing.models import ConnectionStatus, WhmcsConnection
from payymo.sandbox.common import SimClock, SimServer
from payymo.sandbox.whmcs import create_app as create_simulator
from payymo.settings import DEV_ENCRYPTION_KEY
from tests.conftest import make_settings
from tests.integration.api.conftest import Api

from .conftest import IDENTIFIER, SECRET, START, Tenant, Whmcs, new_tenant

ACTOR = Actor.system("test")


def connect(member: Tenant, url: str, **overrides: Any) -> WhmcsConnection:
    fields = {"base_url": url, "identifier": IDENTIFIER, "secret": SECRET, **overrides}
    return connect_whmcs(member.api.services, tenant_id=member.tenant_id, actor=ACTOR, **fields)


def stored_row(api: Api, tenant_id: uuid.UUID) -> dict[str, Any]:
    with api.services.db.unit_of_work(tenant_id) as session:
        table = WhmcsConnection.__table__
        query = select(table).where(table.c.tenant_id == tenant_id)
        [row] = session.execute(query).mappings().all()
        return dict(row)


def audit_entries(api: Api, tenant_id: uuid.UUID) -> list[AuditEntry]:
    with api.services.db.unit_of_work(tenant_id) as session:
        query = select(AuditEntry).where(
            AuditEntry.tenant_id == tenant_id, AuditEntry.object_type == "whmcs_connection"
        )
        return list(session.scalars(query.order_by(AuditEntry.created_at)))


def test_connecting_verifies_live_and_stores_every_credential_encrypted(
    api: Api, whmcs: Whmcs
) -> None:
    member = new_tenant(api)

    connection = connect(member, whmcs.url + "/includes/api.php", access_key="k3y!")

    assert connection.status is ConnectionStatus.ACTIVE
    assert connection.base_url == whmcs.url
    assert connection.last_verified_at == api.clock.now()
    row = stored_row(api, member.tenant_id)
    for plaintext in (IDENTIFIER, SECRET, "k3y!"):
        assert not any(plaintext in str(value) for value in row.values())
    box = api.services.box
    assert box.decrypt(connection.secret_encrypted) == SECRET
    assert box.decrypt(connection.access_key_encrypted or "") == "k3y!"


def test_the_connection_is_audited_without_any_credential(api: Api, whmcs: Whmcs) -> None:
    member = new_tenant(api)
    connection = connect(member, whmcs.url)

    [entry] = audit_entries(api, member.tenant_id)

    assert (entry.action, entry.object_id) == ("whmcs.connected", str(connection.id))
    assert entry.after is not None
    assert entry.after["whmcs_version"] == "8.0.0"
    logged = json.dumps([entry.before, entry.after])
    for secret in (IDENTIFIER, SECRET, connection.secret_encrypted):
        assert secret not in logged


def test_a_wrong_secret_is_refused_clearly_and_nothing_is_stored(api: Api, whmcs: Whmcs) -> None:
    member = new_tenant(api)

    with pytest.raises(ValidationFailed, match="Authentication Failed") as caught:
        connect(member, whmcs.url, secret="not-the-secret")

    assert {e.field for e in caught.value.errors} == {"identifier", "secret"}
    with pytest.raises(NotFound):
        get_whmcs_connection(api.services, tenant_id=member.tenant_id)
    assert audit_entries(api, member.tenant_id) == []


def test_a_refused_ip_points_at_the_access_key(sqlite_api: Api) -> None:
    member = new_tenant(sqlite_api)
    guarded = create_simulator(clock=SimClock(START), allowed_ips=("10.0.0.1",), access_key="k3y")
    with SimServer(guarded) as server:
        with pytest.raises(ValidationFailed, match="Invalid IP") as caught:
            connect(member, server.url)
        assert [e.field for e in caught.value.errors] == ["access_key"]

        assert connect(member, server.url, access_key="k3y").status is ConnectionStatus.ACTIVE


def test_connecting_again_replaces_the_connection_in_place(api: Api, whmcs: Whmcs) -> None:
    member = new_tenant(api)
    first = connect(member, whmcs.url)

    second = connect(member, whmcs.url + "/", access_key="k3y")

    assert second.id == first.id
    assert second.access_key_encrypted is not None
    assert [e.action for e in audit_entries(api, member.tenant_id)] == [
        "whmcs.connected",
        "whmcs.reconnected",
    ]


def test_a_failed_reconnect_keeps_the_working_connection(api: Api, whmcs: Whmcs) -> None:
    member = new_tenant(api)
    connect(member, whmcs.url)

    with pytest.raises(ValidationFailed):
        connect(member, whmcs.url, secret="not-the-secret")

    kept = get_whmcs_connection(api.services, tenant_id=member.tenant_id)
    assert api.services.box.decrypt(kept.secret_encrypted) == SECRET


@pytest.mark.parametrize(
    "url",
    [
        "ftp://billing.example.com",
        "billing.example.com",
        "https://",
        "https://admin:pw@billing.example.com",
        "https://billing.example.com/?page=api",
        "https://billing.example.com:99999",
    ],
)
def test_an_unusable_url_is_refused_before_any_call(sqlite_api: Api, url: str) -> None:
    member = new_tenant(sqlite_api)

    with pytest.raises(ValidationFailed) as caught:
        connect(member, url)

    assert [e.field for e in caught.value.errors] == ["base_url"]


@pytest.mark.parametrize(
    "url", ["http://billing.example.com", "https://127.0.0.1", "https://10.1.2.3/whmcs"]
)
def test_production_accepts_only_https_to_a_public_host(sqlite_api: Api, url: str) -> None:
    member = new_tenant(sqlite_api)
    production = make_settings(
        payymo_env="production",
        secret_key="s" * 40,
        encryption_keys=DEV_ENCRYPTION_KEY,
        database_url="postgresql://unused",
        email_backend="memory",
    )
    services = dataclasses.replace(sqlite_api.services, settings=production)

    with pytest.raises(ValidationFailed) as caught:
        connect_whmcs(
            services,
            tenant_id=member.tenant_id,
            actor=ACTOR,
            base_url=url,
            identifier=IDENTIFIER,
            secret=SECRET,
        )

    assert [e.field for e in caught.value.errors] == ["base_url"]


def test_a_whmcs_that_does_not_answer_is_service_unavailable(sqlite_api: Api) -> None:
    member = new_tenant(sqlite_api)

    with pytest.raises(ServiceUnavailable, match="could not verify"):
        connect(member, "http://127.0.0.1:9")


def test_a_url_that_is_not_the_whmcs_api_is_refused(sqlite_api: Api, whmcs: Whmcs) -> None:
    member = new_tenant(sqlite_api)
    whmcs.quirks(maintenance=True)

    with pytest.raises(ValidationFailed) as caught:
        connect(member, whmcs.url)

    assert [e.field for e in caught.value.errors] == ["base_url"]


def test_the_client_for_a_stored_connection_uses_the_decrypted_credentials(
    api: Api, whmcs: Whmcs
) -> None:
    member = new_tenant(api)
    connection = connect(member, whmcs.url)

    with client_for(api.services, connection) as client:
        assert client.verify().admin_id == 1


def test_disconnecting_forgets_the_credentials_and_is_audited(api: Api, whmcs: Whmcs) -> None:
    member = new_tenant(api)
    connect(member, whmcs.url)

    disconnect_whmcs(api.services, tenant_id=member.tenant_id, actor=ACTOR)

    with pytest.raises(NotFound):
        get_whmcs_connection(api.services, tenant_id=member.tenant_id)
    assert audit_entries(api, member.tenant_id)[-1].action == "whmcs.disconnected"
    with pytest.raises(NotFound):
        disconnect_whmcs(api.services, tenant_id=member.tenant_id, actor=ACTOR)


def test_another_tenant_does_not_see_the_connection(api: Api, whmcs: Whmcs) -> None:
    connect(new_tenant(api), whmcs.url)

    with pytest.raises(NotFound):
        get_whmcs_connection(api.services, tenant_id=new_tenant(api).tenant_id)
