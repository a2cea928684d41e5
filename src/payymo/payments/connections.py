"""Connecting a tenant's Stripe account: a verified key, stored encrypted, one per tenant."""

from __future__ import annotations

import re
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from payymo.audit.services import Actor, record
from payymo.errors import FieldError, NotFound, ServiceUnavailable, ValidationFailed
from payymo.http import AppServices
from payymo.integrations.errors import ProviderAuthError, ProviderError
from payymo.invoicing.models import ConnectionStatus
from payymo.payments.models import StripeConnection
from payymo.payments.stripe_client import StripeApiClient

# Secret (sk_) and restricted (rk_) keys read payments; publishable keys (pk_) cannot.
_API_KEY_RE = re.compile(r"^(sk|rk)_(test|live)_[A-Za-z0-9_]{1,240}$")
_WEBHOOK_SECRET_RE = re.compile(r"^whsec_[A-Za-z0-9+/=_-]{1,240}$")


def connect_stripe(
    app: AppServices,
    *,
    tenant_id: uuid.UUID,
    actor: Actor,
    api_key: str,
    webhook_secret: str | None = None,
) -> StripeConnection:
    """Verify `api_key` with Stripe, then store it encrypted, replacing any earlier connection.

    The new connection is exactly what is given: without `webhook_secret`, none is kept.
    Nothing is stored when Stripe refuses the key (ValidationFailed) or cannot be reached
    (ServiceUnavailable).
    """
    api_key, webhook_secret = _checked_credentials(api_key, webhook_secret)
    account_id = _verify(app, api_key)
    with app.db.unit_of_work(tenant_id) as session:
        connection = find_connection(session, tenant_id, lock=True)
        before = _described(connection) if connection else None
        if connection is None:
            connection = StripeConnection(tenant_id=tenant_id)
            session.add(connection)
        elif account_id is None or connection.account_id != account_id:
            connection.last_synced_at = None  # another (or an unknown) account: sync it all
        connection.account_id = account_id
        connection.api_key_encrypted = app.box.encrypt(api_key)
        connection.webhook_secret_encrypted = (
            app.box.encrypt(webhook_secret) if webhook_secret else None
        )
        connection.livemode = "_live_" in api_key
        connection.status = ConnectionStatus.ACTIVE
        connection.last_verified_at = app.clock.now()
        connection.last_error = None
        session.flush()
        _audit(
            session,
            actor,
            connection,
            "stripe.reconnected" if before else "stripe.connected",
            before,
        )
        return connection


def get_stripe_connection(app: AppServices, *, tenant_id: uuid.UUID) -> StripeConnection:
    """The tenant's Stripe connection, even a disconnected one; 404 if it never connected."""
    with app.db.unit_of_work(tenant_id) as session:
        connection = find_connection(session, tenant_id)
        if connection is None:
            raise NotFound(detail="Stripe is not connected")
        return connection


def disconnect_stripe(app: AppServices, *, tenant_id: uuid.UUID, actor: Actor) -> None:
    """Forget the key and webhook secret; synced payments and payouts stay for the records."""
    with app.db.unit_of_work(tenant_id) as session:
        connection = find_connection(session, tenant_id, lock=True)
        if connection is None or connection.status is ConnectionStatus.DISCONNECTED:
            raise NotFound(detail="Stripe is not connected")
        before = _described(connection)
        connection.api_key_encrypted = ""  # the column is NOT NULL; empty holds no secret
        connection.webhook_secret_encrypted = None
        connection.status = ConnectionStatus.DISCONNECTED
        connection.last_error = None
        _audit(session, actor, connection, "stripe.disconnected", before)


def client_for(app: AppServices, connection: StripeConnection) -> StripeApiClient:
    """A client with the connection's key; close it (or use `with`) when done."""
    if connection.status is ConnectionStatus.DISCONNECTED or not connection.api_key_encrypted:
        raise ProviderAuthError("Stripe is disconnected: connect it again with an API key")
    api_key = app.box.decrypt(connection.api_key_encrypted)
    return StripeApiClient.from_settings(api_key, app.settings, now=app.clock.now)


def find_connection(
    session: Session, tenant_id: uuid.UUID, *, lock: bool = False
) -> StripeConnection | None:
    """The tenant's connection row; `lock` holds it until commit so writers take turns."""
    query = select(StripeConnection).where(StripeConnection.tenant_id == tenant_id)
    return session.scalars(query.with_for_update() if lock else query).one_or_none()


def _verify(app: AppServices, api_key: str) -> str | None:
    try:
        with StripeApiClient.from_settings(api_key, app.settings, now=app.clock.now) as client:
            return client.verify()
    except ProviderAuthError as exc:
        error = FieldError("api_key", exc.message, code="rejected")
        raise ValidationFailed(detail=exc.message, errors=[error]) from None
    except ProviderError as exc:
        raise ServiceUnavailable(detail=f"could not verify the key: {exc.message}") from None


def _checked_credentials(api_key: str, webhook_secret: str | None) -> tuple[str, str | None]:
    key = api_key.strip() if isinstance(api_key, str) else ""
    secret = webhook_secret.strip() if isinstance(webhook_secret, str) else None
    errors = []
    if key.startswith("pk_"):
        errors.append(FieldError("api_key", "a publishable key cannot read payments"))
    elif not _API_KEY_RE.match(key):
        errors.append(FieldError("api_key", "expected a restricted (rk_) or secret (sk_) key"))
    if secret and not _WEBHOOK_SECRET_RE.match(secret):
        errors.append(FieldError("webhook_secret", "expected a signing secret (whsec_...)"))
    if errors:
        raise ValidationFailed(detail="invalid Stripe credentials", errors=errors)
    return key, secret or None


def _described(connection: StripeConnection) -> dict[str, Any]:
    """What the audit log may know about a connection: no key, no secret, not even a part."""
    return {
        "account_id": connection.account_id,
        "livemode": connection.livemode,
        "status": connection.status.value,
        "webhook_secret_set": connection.webhook_secret_encrypted is not None,
    }


def _audit(
    session: Session,
    actor: Actor,
    connection: StripeConnection,
    action: str,
    before: dict[str, Any] | None,
) -> None:
    record(
        session,
        tenant_id=connection.tenant_id,
        actor=actor,
        action=action,
        object_type="stripe_connection",
        object_id=connection.id,
        before=before,
        after=_described(connection),
    )
