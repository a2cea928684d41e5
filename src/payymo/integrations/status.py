"""The tenant's integrations at a glance, without any credential."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from payymo.banking import repository as banking_repo
from payymo.banking.models import BankConnection
from payymo.banking.schemas import BankAccountOut
from payymo.http import AppServices
from payymo.integrations.schemas import (
    BankConnectionOut,
    IntegrationStatusOut,
    StripeConnectionOut,
    WhmcsConnectionOut,
)
from payymo.invoicing.connections import connection_row as whmcs_row
from payymo.invoicing.models import WhmcsConnection
from payymo.payments.connections import find_connection as stripe_row
from payymo.payments.models import StripeConnection


def whmcs_out(connection: WhmcsConnection) -> WhmcsConnectionOut:
    return WhmcsConnectionOut(
        id=connection.id,
        base_url=connection.base_url,
        status=connection.status,
        has_access_key=connection.access_key_encrypted is not None,
        last_verified_at=connection.last_verified_at,
        last_synced_at=connection.last_synced_at,
        last_error=connection.last_error,
    )


def stripe_out(connection: StripeConnection) -> StripeConnectionOut:
    return StripeConnectionOut(
        id=connection.id,
        account_id=connection.account_id,
        livemode=connection.livemode,
        status=connection.status,
        has_webhook_secret=connection.webhook_secret_encrypted is not None,
        last_verified_at=connection.last_verified_at,
        last_synced_at=connection.last_synced_at,
        last_error=connection.last_error,
    )


def overview(app: AppServices, *, tenant_id: uuid.UUID) -> IntegrationStatusOut:
    """Every connection of the tenant, its accounts, and when each may sync next."""
    with app.db.unit_of_work(tenant_id) as session:
        whmcs = whmcs_row(session, tenant_id)
        stripe = stripe_row(session, tenant_id)
        connections = session.scalars(
            select(BankConnection)
            .where(BankConnection.tenant_id == tenant_id)
            .order_by(BankConnection.created_at.desc())
        ).all()
        accounts = banking_repo.accounts(session, tenant_id)
        return IntegrationStatusOut(
            whmcs=whmcs_out(whmcs) if whmcs else None,
            stripe=stripe_out(stripe) if stripe else None,
            bank_connections=[BankConnectionOut.model_validate(c) for c in connections],
            bank_accounts=[BankAccountOut.of(a) for a in accounts],
        )
