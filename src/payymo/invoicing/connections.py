"""The tenant's WHMCS connection: verified live before it is stored, credentials encrypted."""

from __future__ import annotations

import ipaddress
import re
import uuid
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from payymo.audit.services import Actor, record
from payymo.errors import Conflict, FieldError, NotFound, ServiceUnavailable, ValidationFailed
from payymo.http import AppServices
from payymo.integrations.errors import (
    ProviderAuthError,
    ProviderError,
    ProviderRateLimited,
    ProviderUnavailable,
)
from payymo.invoicing.models import ConnectionStatus, WhmcsConnection
from payymo.invoicing.whmcs import API_PATH, WhmcsClient, WhmcsCredentials
from payymo.invoicing.whmcs_models import WhmcsIdentity
from payymo.settings import Settings

MAX_CREDENTIAL = 200
MAX_URL = 500  # the column's width
# The characters WHMCS allows in $api_access_key.
_ACCESS_KEY_RE = re.compile(r"^[A-Za-z0-9 !@#$%.()*\[\]\-_]+$")


def connect_whmcs(
    app: AppServices,
    *,
    tenant_id: uuid.UUID,
    actor: Actor,
    base_url: str,
    identifier: str,
    secret: str,
    access_key: str | None = None,
) -> WhmcsConnection:
    """Check the credentials with a live call, then store them encrypted (replacing any)."""
    credentials = _valid_credentials(app.settings, base_url, identifier, secret, access_key)
    identity = _verify(app, credentials)
    try:
        with app.db.unit_of_work(tenant_id) as session:
            connection = connection_row(session, tenant_id, lock=True)
            before = _describe(connection) if connection else None
            if connection is None:
                connection = WhmcsConnection(tenant_id=tenant_id)
                session.add(connection)
            _store_credentials(app, connection, credentials)
            session.flush()
            record(
                session,
                tenant_id=tenant_id,
                actor=actor,
                action="whmcs.connected" if before is None else "whmcs.reconnected",
                object_type="whmcs_connection",
                object_id=connection.id,
                before=before,
                after={**_describe(connection), "whmcs_version": identity.version},
            )
    except IntegrityError:  # a concurrent first connect inserted the row first
        raise Conflict(detail="the WHMCS connection changed meanwhile; try again") from None
    return connection


def get_whmcs_connection(app: AppServices, *, tenant_id: uuid.UUID) -> WhmcsConnection:
    """The tenant's WHMCS connection, or NotFound."""
    with app.db.unit_of_work(tenant_id) as session:
        connection = connection_row(session, tenant_id)
        if connection is None:
            raise NotFound(detail="this workspace has no WHMCS connection")
        return connection


def disconnect_whmcs(app: AppServices, *, tenant_id: uuid.UUID, actor: Actor) -> None:
    """Forget the credentials; the invoice snapshot stays, as history that allocations cite."""
    with app.db.unit_of_work(tenant_id) as session:
        connection = connection_row(session, tenant_id, lock=True)
        if connection is None:
            raise NotFound(detail="this workspace has no WHMCS connection")
        record(
            session,
            tenant_id=tenant_id,
            actor=actor,
            action="whmcs.disconnected",
            object_type="whmcs_connection",
            object_id=connection.id,
            before=_describe(connection),
        )
        session.delete(connection)


def client_for(app: AppServices, connection: WhmcsConnection) -> WhmcsClient:
    """A client on the stored connection, its credentials decrypted only in memory."""
    access_key = connection.access_key_encrypted
    credentials = WhmcsCredentials(
        base_url=connection.base_url,
        identifier=app.box.decrypt(connection.identifier_encrypted),
        secret=app.box.decrypt(connection.secret_encrypted),
        access_key=app.box.decrypt(access_key) if access_key else None,
    )
    return _client(app, credentials)


def connection_row(
    session: Session, tenant_id: uuid.UUID, *, lock: bool = False
) -> WhmcsConnection | None:
    """The tenant's connection row; `lock` serializes writers (connect, disconnect, sync)."""
    query = select(WhmcsConnection).where(WhmcsConnection.tenant_id == tenant_id)
    return session.scalars(query.with_for_update() if lock else query).one_or_none()


def _store_credentials(
    app: AppServices, connection: WhmcsConnection, credentials: WhmcsCredentials
) -> None:
    access_key = credentials.access_key
    connection.base_url = credentials.base_url
    connection.identifier_encrypted = app.box.encrypt(credentials.identifier)
    connection.secret_encrypted = app.box.encrypt(credentials.secret)
    connection.access_key_encrypted = app.box.encrypt(access_key) if access_key else None
    connection.status = ConnectionStatus.ACTIVE
    connection.last_verified_at = app.clock.now()
    connection.last_error = None


def _client(app: AppServices, credentials: WhmcsCredentials) -> WhmcsClient:
    return WhmcsClient(credentials, timeout=app.settings.http_timeout_seconds, now=app.clock.now)


def _verify(app: AppServices, credentials: WhmcsCredentials) -> WhmcsIdentity:
    try:
        with _client(app, credentials) as client:
            return client.verify()
    except ProviderAuthError as exc:
        fields = ["access_key"] if "Invalid IP" in exc.message else ["identifier", "secret"]
        errors = [FieldError(name, exc.message, code="rejected") for name in fields]
        raise ValidationFailed(detail=exc.message, errors=errors) from None
    except (ProviderUnavailable, ProviderRateLimited) as exc:
        raise ServiceUnavailable(detail=f"could not verify the connection: {exc.message}") from None
    except ProviderError as exc:
        error = FieldError("base_url", f"does not answer like the WHMCS API: {exc.message}")
        raise ValidationFailed(detail=exc.message, errors=[error]) from None


def _valid_credentials(
    settings: Settings, base_url: str, identifier: str, secret: str, access_key: str | None
) -> WhmcsCredentials:
    errors: list[FieldError] = []
    try:
        url = _normalized_base_url(settings, base_url)
    except ValueError as exc:
        url = ""
        errors.append(FieldError("base_url", str(exc)))
    identifier, secret = identifier.strip(), secret.strip()
    access_key = (access_key or "").strip() or None
    for name, value in (("identifier", identifier), ("secret", secret), ("access_key", access_key)):
        if value is not None and not 0 < len(value) <= MAX_CREDENTIAL:
            errors.append(FieldError(name, f"must be 1 to {MAX_CREDENTIAL} characters"))
    if access_key is not None and not _ACCESS_KEY_RE.match(access_key):
        errors.append(FieldError("access_key", "letters, digits, spaces and !@#$%.()*[]-_ only"))
    if errors:
        raise ValidationFailed(detail="invalid WHMCS connection", errors=errors)
    return WhmcsCredentials(url, identifier, secret, access_key)


def _normalized_base_url(settings: Settings, raw: str) -> str:
    """The installation's root URL, without trailing slash or API path; ValueError says why not."""
    try:
        parts = urlsplit(raw.strip())
        parts.port  # noqa: B018 - reading the port is what validates it
    except ValueError:
        raise ValueError("is not a URL") from None
    allowed = ("https",) if settings.is_strict else ("http", "https")
    if parts.scheme not in allowed or not parts.hostname:
        raise ValueError(f"must be an {' or '.join(allowed)} URL with a host")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ValueError("must not contain credentials, a query or a fragment")
    if settings.is_strict and _is_internal(parts.hostname):
        raise ValueError("must be a public address")
    path = parts.path.rstrip("/").removesuffix(API_PATH).rstrip("/")
    url = urlunsplit((parts.scheme, parts.netloc, path, "", ""))
    if len(url) > MAX_URL:
        raise ValueError(f"must be at most {MAX_URL} characters")
    return url


def _is_internal(host: str) -> bool:
    # A tenant must not make Payymo's servers call into their own network (SSRF). Names that
    # resolve to private addresses are the egress firewall's job; literals are refused here.
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return not address.is_global


def _describe(connection: WhmcsConnection) -> dict[str, Any]:
    """What the audit log may show about a connection: never a credential, even encrypted."""
    verified = connection.last_verified_at
    return {
        "base_url": connection.base_url,
        "status": str(connection.status),
        "has_access_key": connection.access_key_encrypted is not None,
        "last_verified_at": verified.isoformat() if verified else None,
    }
