"""Open Banking connections: consent at the bank, its outcome, and renewal before expiry.

A connection is one provider consent (agreement + requisition). Its accounts are keyed by the
provider's account id, so a renewed consent maps onto the same `BankAccount` rows and their
transactions instead of creating new ones.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from payymo.audit.services import Actor, record
from payymo.banking import linking
from payymo.banking.models import BankConnection, RequisitionStatus
from payymo.banking.provider import (
    Agreement,
    BankProvider,
    Institution,
    Requisition,
    provider_for,
)
from payymo.errors import FieldError, NotFound, ValidationFailed
from payymo.http import AppServices
from payymo.integrations.errors import ProviderBadResponse, ProviderRejected
from payymo.invoicing.models import ConnectionStatus

PROVIDER = "gocardless"
PROVIDER_NAMES = {"gocardless": "GoCardless"}
# History fetched by the first sync; more is rarely useful for open invoices and some banks
# want a separate consent beyond 90 days.
DEFAULT_HISTORY_DAYS = 90
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_STATUSES = {
    RequisitionStatus.LINKED: ConnectionStatus.ACTIVE,
    RequisitionStatus.EXPIRED: ConnectionStatus.EXPIRED,
    RequisitionStatus.REJECTED: ConnectionStatus.ERROR,
    RequisitionStatus.ERROR: ConnectionStatus.ERROR,
    RequisitionStatus.SUSPENDED: ConnectionStatus.ERROR,
}
_OUTCOMES = {
    RequisitionStatus.LINKED: ("bank_connection.linked", None),
    RequisitionStatus.EXPIRED: ("bank_connection.expired", "The consent expired; renew it."),
    RequisitionStatus.REJECTED: (
        "bank_connection.rejected",
        "The consent was refused or cancelled at the bank.",
    ),
    RequisitionStatus.ERROR: ("bank_connection.failed", "The provider reports a failed consent."),
    RequisitionStatus.SUSPENDED: ("bank_connection.failed", "The provider suspended the consent."),
}


def list_institutions(app: AppServices, *, country: str) -> list[Institution]:
    """The banks a user can connect in `country` (ISO 3166 alpha-2, either case)."""
    code = country.strip().upper()
    if not _COUNTRY.match(code):
        raise ValidationFailed(
            detail="invalid country",
            errors=[FieldError("country", "must be a two-letter ISO 3166 country code")],
        )
    return provider_for(app, PROVIDER).institutions(country=code)


def start_connection(
    app: AppServices,
    *,
    tenant_id: uuid.UUID,
    actor: Actor,
    institution_id: str,
    redirect_url: str,
) -> BankConnection:
    """Request consent at `institution_id`; the user then follows the connection's `link`."""
    _check_redirect(redirect_url)
    provider = provider_for(app, PROVIDER)
    consent = _request_consent(provider, institution_id, redirect_url)
    with app.db.unit_of_work(tenant_id) as session:
        connection = _new_connection(tenant_id, provider.name, consent)
        session.add(connection)
        session.flush()
        _audit(session, connection, actor, "bank_connection.started", None)
        return connection


def renew_connection(
    app: AppServices,
    *,
    tenant_id: uuid.UUID,
    actor: Actor,
    connection_id: uuid.UUID,
    redirect_url: str,
) -> BankConnection:
    """Request a new consent for a connection's bank; completing it keeps the same accounts."""
    _check_redirect(redirect_url)
    old = get_connection(app, tenant_id=tenant_id, connection_id=connection_id)
    provider = provider_for(app, old.provider)
    consent = _request_consent(provider, old.institution_id, redirect_url)
    with app.db.unit_of_work(tenant_id) as session:
        connection = _new_connection(tenant_id, provider.name, consent)
        session.add(connection)
        session.flush()
        _audit(session, connection, actor, "bank_connection.renewal_started", None, renews=old.id)
        return connection


def complete_connection(
    app: AppServices, *, tenant_id: uuid.UUID, actor: Actor, reference: str
) -> BankConnection:
    """Record a consent's outcome after the bank redirected back with `?ref=<reference>`."""
    with app.db.unit_of_work(tenant_id) as session:
        connection = _by_reference(session, tenant_id, reference)
        connection_id, requisition_id = connection.id, connection.requisition_id
        provider = provider_for(app, connection.provider)
        agreement_id = connection.agreement_id
    if requisition_id is None:
        raise NotFound(detail="no consent request for this reference")
    requisition = provider.requisition(requisition_id)
    if requisition.id != requisition_id or requisition.reference != reference:
        raise ProviderBadResponse("the provider answered with another consent request")
    found: list[linking.LinkedAccount] = []
    accepted: datetime | None = None
    if requisition.status == RequisitionStatus.LINKED:
        found = linking.fetch_accounts(app, tenant_id, provider, requisition.account_ids)
        accepted = provider.agreement(agreement_id).accepted if agreement_id else None
    with app.db.unit_of_work(tenant_id) as session:
        connection = _locked(session, tenant_id, connection_id)
        before = _snapshot(connection)
        _apply_status(connection, requisition.status, accepted or app.clock.now())
        moved_from = linking.link_accounts(session, connection, found, actor, app.clock.now())
        if _snapshot(connection) != before:
            action, _ = _OUTCOMES.get(requisition.status, ("bank_connection.updated", None))
            _audit(session, connection, actor, action, before)
        _supersede(session, connection, moved_from, actor)
        return connection


def list_connections(app: AppServices, *, tenant_id: uuid.UUID) -> list[BankConnection]:
    """The tenant's bank connections, newest first."""
    with app.db.unit_of_work(tenant_id) as session:
        return list(
            session.scalars(
                select(BankConnection)
                .where(BankConnection.tenant_id == tenant_id)
                .order_by(BankConnection.created_at.desc(), BankConnection.id)
            )
        )


def get_connection(
    app: AppServices, *, tenant_id: uuid.UUID, connection_id: uuid.UUID
) -> BankConnection:
    """One connection of the tenant, or NotFound."""
    with app.db.unit_of_work(tenant_id) as session:
        return _locked(session, tenant_id, connection_id, lock=False)


def _check_redirect(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > 1024:
        raise ValidationFailed(
            detail="invalid redirect URL",
            errors=[FieldError("redirect_url", "must be an absolute http(s) URL, 1024 at most")],
        )


@dataclass(frozen=True)
class _Consent:
    requisition: Requisition
    agreement: Agreement
    institution_name: str


def _request_consent(provider: BankProvider, institution_id: str, redirect_url: str) -> _Consent:
    """An agreement on the bank's best terms and a requisition (the user's link) for it."""
    institution = _institution(provider, institution_id)
    agreement = provider.create_agreement(
        institution_id=institution.id,
        max_historical_days=min(DEFAULT_HISTORY_DAYS, institution.transaction_total_days),
        # The longest consent the bank allows: fewer renewals for the user.
        access_valid_for_days=institution.max_access_valid_for_days,
    )
    reference = f"payymo-{uuid.uuid4().hex}"
    requisition = provider.create_requisition(
        institution_id=institution.id,
        agreement_id=agreement.id,
        redirect_url=redirect_url,
        reference=reference,
    )
    if requisition.reference != reference or not requisition.link:
        raise ProviderBadResponse("the provider's consent request lacks our reference or a link")
    return _Consent(requisition, agreement, institution.name)


def _institution(provider: BankProvider, institution_id: str) -> Institution:
    """The bank `institution_id` names, or a 422 on that field if the provider has none."""
    try:
        return provider.institution(institution_id)
    except ProviderRejected as exc:
        if exc.status != 404:
            raise
    name = PROVIDER_NAMES.get(provider.name, provider.name)
    raise ValidationFailed(
        detail=f"{name} has no bank with id {institution_id!r}",
        errors=[
            FieldError(
                "institution_id",
                "no such bank: GET /api/v1/integrations/bank/institutions?country=XX lists the "
                "banks of a country with their ids",
                code="unknown_institution",
            )
        ],
    )


def _new_connection(tenant_id: uuid.UUID, provider: str, consent: _Consent) -> BankConnection:
    requisition, agreement = consent.requisition, consent.agreement
    return BankConnection(
        tenant_id=tenant_id,
        provider=provider,
        institution_id=requisition.institution_id,
        institution_name=consent.institution_name[:200],
        agreement_id=agreement.id,
        requisition_id=requisition.id,
        reference=requisition.reference,
        link=requisition.link,
        requisition_status=requisition.status,
        status=_STATUSES.get(requisition.status, ConnectionStatus.PENDING),
        max_historical_days=agreement.max_historical_days,
        access_valid_for_days=agreement.access_valid_for_days,
    )


def _apply_status(connection: BankConnection, status: RequisitionStatus, linked: datetime) -> None:
    connection.requisition_status = status
    connection.status = _STATUSES.get(status, ConnectionStatus.PENDING)
    if status == RequisitionStatus.LINKED:
        connection.linked_at = connection.linked_at or linked
        connection.consent_expires_at = connection.linked_at + timedelta(
            days=connection.access_valid_for_days
        )
    if status in _OUTCOMES:
        connection.last_error = _OUTCOMES[status][1]


def _supersede(
    session: Session, connection: BankConnection, moved_from: set[uuid.UUID], actor: Actor
) -> None:
    """Old connections whose accounts all moved to `connection` (a renewal) are retired."""
    for old_id in moved_from - {connection.id}:
        old = session.get(BankConnection, old_id)
        if old is None or linking.has_accounts(session, old):
            continue
        before = _snapshot(old)
        old.status = ConnectionStatus.DISCONNECTED
        old.last_error = f"Replaced by the renewed connection {connection.id}."
        _audit(session, old, actor, "bank_connection.superseded", before)


def _by_reference(session: Session, tenant_id: uuid.UUID, reference: str) -> BankConnection:
    found = session.scalars(
        select(BankConnection).where(
            BankConnection.tenant_id == tenant_id, BankConnection.reference == reference
        )
    ).one_or_none()
    if found is None:
        raise NotFound(detail="no bank connection with this reference")
    return found


def _locked(
    session: Session, tenant_id: uuid.UUID, connection_id: uuid.UUID, *, lock: bool = True
) -> BankConnection:
    query = select(BankConnection).where(
        BankConnection.tenant_id == tenant_id, BankConnection.id == connection_id
    )
    found = session.scalars(query.with_for_update() if lock else query).one_or_none()
    if found is None:
        raise NotFound(detail="no such bank connection")
    return found


def _snapshot(connection: BankConnection) -> dict[str, str | None]:
    expires = connection.consent_expires_at
    return {
        "status": connection.status.value,
        "requisition_status": connection.requisition_status.value,
        "consent_expires_at": expires.isoformat() if expires else None,
    }


def _audit(
    session: Session,
    connection: BankConnection,
    actor: Actor,
    action: str,
    before: dict[str, str | None] | None,
    *,
    renews: uuid.UUID | None = None,
) -> None:
    after: dict[str, str | None] = {
        **_snapshot(connection),
        "institution_id": connection.institution_id,
    }
    if renews is not None:
        after["renews"] = str(renews)
    record(
        session,
        tenant_id=connection.tenant_id,
        actor=actor,
        action=action,
        object_type="bank_connection",
        object_id=connection.id,
        before=before,
        after=after,
    )
