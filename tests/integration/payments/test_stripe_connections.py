"""Connecting Stripe: verified live, stored encrypted, audited without secrets."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from payymo.audit.models import AuditEntry
from payymo.audit.services import Actor
from payymo.errors import NotFound, ServiceUnavailable, ValidationFailed
from payymo.integrations.errors import ProviderAuthError
from payymo.invoicing.models import ConnectionStatus
from payymo.payments.connections import (
    client_for,
    connect_stripe,
    disconnect_stripe,
    get_stripe_connection,
)
from payymo.payments.models import StripeConnection
from tests.integration.api.conftest import Api
from tests.integration.payments.conftest import RESTRICTED_KEY, SECRET_KEY, StripeSim
from tests.integration.payments.stored import stored_text

WEBHOOK_SECRET = "whsec_PayymoTestSigningSecret0001"
ACTOR = Actor.user(uuid.UUID(int=1))


def audit_actions(api: Api, tenant_id: uuid.UUID) -> list[str]:
    with api.services.db.unit_of_work(tenant_id) as session:
        query = (
            select(AuditEntry.action)
            .where(AuditEntry.tenant_id == tenant_id)
            .order_by(AuditEntry.occurred_at)
        )
        return [a for a in session.scalars(query) if a.startswith("stripe.")]


def connections(api: Api, tenant_id: uuid.UUID) -> list[StripeConnection]:
    with api.services.db.unit_of_work(tenant_id) as session:
        query = select(StripeConnection).where(StripeConnection.tenant_id == tenant_id)
        return list(session.scalars(query))


def test_a_restricted_key_is_verified_live_and_stored_encrypted(
    api: Api, tenant_id: uuid.UUID, stripe_sim: StripeSim
) -> None:
    connection = connect_stripe(
        api.services,
        tenant_id=tenant_id,
        actor=ACTOR,
        api_key=f"  {RESTRICTED_KEY}\n",
        webhook_secret=WEBHOOK_SECRET,
    )
    assert connection.account_id == stripe_sim.state()["account"]["id"]
    assert (connection.status, connection.livemode) == (ConnectionStatus.ACTIVE, False)
    assert connection.last_verified_at == api.clock.now()
    box = api.services.box
    assert box.decrypt(connection.api_key_encrypted) == RESTRICTED_KEY
    assert box.decrypt(connection.webhook_secret_encrypted or "") == WEBHOOK_SECRET
    stored = stored_text(api.services.db, tenant_id)
    assert RESTRICTED_KEY not in stored
    assert WEBHOOK_SECRET not in stored
    assert "Tests01" not in stored  # not even the key's end
    assert audit_actions(api, tenant_id) == ["stripe.connected"]


def test_a_wrong_key_is_refused_clearly_and_nothing_is_stored(
    api: Api, tenant_id: uuid.UUID
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        connect_stripe(
            api.services, tenant_id=tenant_id, actor=ACTOR, api_key="sk_test_51WrongKey0000"
        )
    (error,) = caught.value.errors
    assert (error.field, error.code) == ("api_key", "rejected")
    assert "refused the API key" in error.message
    assert "WrongKey" not in repr(caught.value.to_problem())
    assert connections(api, tenant_id) == []
    assert audit_actions(api, tenant_id) == []


MALFORMED = [
    pytest.param(("pk_test_51Publishable0001", None, "api_key"), id="publishable key"),
    pytest.param(("not a key", None, "api_key"), id="not a key"),
    pytest.param((SECRET_KEY, "secret", "webhook_secret"), id="not a signing secret"),
]


@pytest.mark.parametrize("case", MALFORMED)
def test_malformed_credentials_are_refused_without_calling_stripe(
    api: Api, tenant_id: uuid.UUID, stripe_sim: StripeSim, case: tuple[str, str | None, str]
) -> None:
    api_key, webhook_secret, field = case
    stripe_sim.fault("error", "/v1/", times=None, status=500)  # any call would fail loudly
    with pytest.raises(ValidationFailed) as caught:
        connect_stripe(
            api.services,
            tenant_id=tenant_id,
            actor=ACTOR,
            api_key=api_key,
            webhook_secret=webhook_secret,
        )
    assert [e.field for e in caught.value.errors] == [field]
    assert connections(api, tenant_id) == []


def test_connecting_again_replaces_the_key_in_the_same_row(api: Api, tenant_id: uuid.UUID) -> None:
    first = connect_stripe(
        api.services,
        tenant_id=tenant_id,
        actor=ACTOR,
        api_key=RESTRICTED_KEY,
        webhook_secret=WEBHOOK_SECRET,
    )
    second = connect_stripe(api.services, tenant_id=tenant_id, actor=ACTOR, api_key=SECRET_KEY)
    (stored,) = connections(api, tenant_id)
    assert stored.id == first.id == second.id
    assert api.services.box.decrypt(stored.api_key_encrypted) == SECRET_KEY
    assert stored.webhook_secret_encrypted is None
    assert audit_actions(api, tenant_id) == ["stripe.connected", "stripe.reconnected"]


def test_a_failed_replacement_leaves_the_working_connection_alone(
    api: Api, tenant_id: uuid.UUID, stripe_sim: StripeSim
) -> None:
    connect_stripe(api.services, tenant_id=tenant_id, actor=ACTOR, api_key=RESTRICTED_KEY)
    stripe_sim.fault("error", "/v1/account", times=None, status=503)
    with pytest.raises(ServiceUnavailable):
        connect_stripe(api.services, tenant_id=tenant_id, actor=ACTOR, api_key=SECRET_KEY)
    (stored,) = connections(api, tenant_id)
    assert api.services.box.decrypt(stored.api_key_encrypted) == RESTRICTED_KEY
    assert stored.status == ConnectionStatus.ACTIVE


def test_the_audit_log_records_the_connection_without_its_secrets(
    api: Api, tenant_id: uuid.UUID, stripe_sim: StripeSim
) -> None:
    connect_stripe(
        api.services,
        tenant_id=tenant_id,
        actor=ACTOR,
        api_key=RESTRICTED_KEY,
        webhook_secret=WEBHOOK_SECRET,
    )
    with api.services.db.unit_of_work(tenant_id) as session:
        entry = session.scalars(
            select(AuditEntry).where(
                AuditEntry.tenant_id == tenant_id,
                AuditEntry.action == "stripe.connected",
            )
        ).one()
    assert entry.actor_id == str(ACTOR.id)
    assert entry.before is None
    assert entry.after == {
        "account_id": stripe_sim.state()["account"]["id"],
        "livemode": False,
        "status": "active",
        "webhook_secret_set": True,
    }


def test_disconnecting_forgets_the_key_and_keeps_the_row(api: Api, tenant_id: uuid.UUID) -> None:
    connect_stripe(api.services, tenant_id=tenant_id, actor=ACTOR, api_key=RESTRICTED_KEY)
    disconnect_stripe(api.services, tenant_id=tenant_id, actor=ACTOR)
    connection = get_stripe_connection(api.services, tenant_id=tenant_id)
    assert connection.status == ConnectionStatus.DISCONNECTED
    assert (connection.api_key_encrypted, connection.webhook_secret_encrypted) == ("", None)
    with pytest.raises(ProviderAuthError):
        client_for(api.services, connection)
    with pytest.raises(NotFound):
        disconnect_stripe(api.services, tenant_id=tenant_id, actor=ACTOR)
    assert audit_actions(api, tenant_id)[-1] == "stripe.disconnected"


def test_a_tenant_that_never_connected_has_no_connection(api: Api, tenant_id: uuid.UUID) -> None:
    with pytest.raises(NotFound):
        get_stripe_connection(api.services, tenant_id=tenant_id)


def test_the_client_for_a_connection_uses_its_decrypted_key(
    api: Api, tenant_id: uuid.UUID, stripe_sim: StripeSim
) -> None:
    connection = connect_stripe(
        api.services, tenant_id=tenant_id, actor=ACTOR, api_key=RESTRICTED_KEY
    )
    with client_for(api.services, connection) as client:
        assert client.verify() == stripe_sim.state()["account"]["id"]
