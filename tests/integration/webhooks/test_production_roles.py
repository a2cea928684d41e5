"""Webhooks in the production role layout (docs/operations.md): the schema owned by a role that
is not a superuser, the app a login role in payymo_app. The URL key is resolved before any
tenant is set, through a SECURITY DEFINER function bound by the owner's own row-level security."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from tests.conftest import PG_OWNER_LOGIN
from tests.integration.api.helpers import ok
from tests.integration.webhooks.conftest import (
    Hooks,
    gocardless_signed,
    stripe_event,
    whmcs_signed,
)

# The `hooks` fixture on PostgreSQL only: the role layout is PostgreSQL's.
pytestmark = [pytest.mark.postgres, pytest.mark.parametrize("hooks", ["postgresql"], indirect=True)]

Delivery = Callable[[Hooks, str], tuple[bytes, dict[str, str]]]


def _stripe(hooks: Hooks, _secret: str) -> tuple[bytes, dict[str, str]]:
    return hooks.stripe(stripe_event())


def _gocardless(_hooks: Hooks, secret: str) -> tuple[bytes, dict[str, str]]:
    event = {"id": f"EV{uuid.uuid4().hex[:8]}", "resource_type": "payouts", "action": "paid"}
    body = json.dumps({"events": [event], "meta": {"webhook_id": "WB1"}}).encode()
    return body, gocardless_signed(body, secret)


def _whmcs(hooks: Hooks, secret: str) -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"id": uuid.uuid4().hex, "event": "InvoicePaid", "invoiceid": 1001}).encode()
    return body, whmcs_signed(body, secret, hooks.now())


def test_the_app_connects_as_neither_a_superuser_nor_the_schema_owner(hooks: Hooks) -> None:
    with hooks.api.services.db.engine.connect() as connection:
        row = connection.execute(
            sa.text(
                "SELECT r.rolsuper, r.rolbypassrls, pg_has_role('payymo_app', 'MEMBER') AS app,"
                " (SELECT pg_get_userbyid(relowner) FROM pg_class"
                "  WHERE oid = 'inbound_webhooks'::regclass) AS owner"
                " FROM pg_roles r WHERE r.rolname = current_user"
            )
        ).one()
    assert (row.rolsuper, row.rolbypassrls, row.app) == (False, False, True)
    assert row.owner == PG_OWNER_LOGIN


@pytest.mark.parametrize(
    ("provider", "deliver"),
    [("stripe", _stripe), ("gocardless", _gocardless), ("whmcs", _whmcs)],
)
def test_a_signed_delivery_is_accepted_and_stored_under_the_production_roles(
    hooks: Hooks, provider: str, deliver: Delivery
) -> None:
    created = hooks.rotate(provider)
    body, headers = deliver(hooks, created.get("secret", ""))

    assert ok(hooks.post(created["url"], body, headers)) == {"received": 1, "stored": 1}
    assert len(hooks.events(provider)) == 1


def test_the_lookup_finds_no_other_row_for_the_app_role(hooks: Hooks) -> None:
    hooks.rotate("stripe")
    with hooks.api.services.db.unit_of_work() as session:
        assert session.scalar(sa.text("SELECT count(*) FROM inbound_webhooks")) == 0
