"""Tenant use cases."""

from __future__ import annotations

import re
import uuid
from typing import IO, Any

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from payymo.audit.services import Actor, record
from payymo.db import Database
from payymo.errors import (
    Conflict,
    FieldError,
    NotFound,
    ValidationFailed,
    field_errors_from_pydantic,
)
from payymo.http import AppServices
from payymo.money import MoneyError, parse_currency
from payymo.tenants import gdpr, repository
from payymo.tenants.models import Tenant
from payymo.tenants.schemas import TenantSettingsModel

_SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


def slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:63].strip("-")


def create_tenant(
    db: Database,
    *,
    name: str,
    slug: str | None = None,
    default_currency: str = "EUR",
    actor: Actor | None = None,
) -> Tenant:
    """Create a tenant; its slug must be unique. The creation is audited in the tenant."""
    name = name.strip()
    slug = slug or slugify(name)
    errors = []
    if not name or len(name) > 200:
        errors.append(FieldError("name", "must be 1 to 200 characters"))
    if not _SLUG_RE.match(slug):
        errors.append(FieldError("slug", "lowercase letters, digits and hyphens, 1 to 63"))
    try:
        currency = parse_currency(default_currency)
    except MoneyError as exc:
        errors.append(FieldError("default_currency", str(exc)))
    if errors:
        raise ValidationFailed(detail="invalid tenant", errors=errors)
    tenant_id = uuid.uuid4()
    try:
        with db.unit_of_work(tenant_id) as session:
            tenant = Tenant(id=tenant_id, name=name, slug=slug, default_currency=currency)
            session.add(tenant)
            session.flush()
            record(
                session,
                tenant_id=tenant_id,
                actor=actor or Actor.system("cli"),
                action="tenant.created",
                object_type="tenant",
                object_id=tenant_id,
                after={"name": name, "slug": slug, "default_currency": currency},
            )
    except IntegrityError:
        raise Conflict(detail=f"a tenant with slug {slug!r} already exists") from None
    return tenant


def find_tenant_by_slug(db: Database, slug: str) -> Tenant | None:
    """Look a tenant up by slug, for operator tools (CLI) that name tenants by slug."""
    with db.unit_of_work() as session:
        return repository.find_by_slug(session, slug)


def get_tenant(app: AppServices, *, tenant_id: uuid.UUID) -> Tenant:
    with app.db.unit_of_work(tenant_id) as session:
        tenant = repository.get(session, tenant_id)
        if tenant is None:
            raise NotFound(detail="no such tenant")
        return tenant


def update_tenant(
    app: AppServices,
    *,
    tenant_id: uuid.UUID,
    actor: Actor,
    name: str | None,
    default_currency: str | None,
) -> Tenant:
    """Rename the tenant or change its default currency."""
    with app.db.unit_of_work(tenant_id) as session:
        tenant = repository.get(session, tenant_id)
        if tenant is None:
            raise NotFound(detail="no such tenant")
        before = {"name": tenant.name, "default_currency": tenant.default_currency}
        tenant.name = name.strip() if name is not None else tenant.name
        tenant.default_currency = default_currency or tenant.default_currency
        record(
            session,
            tenant_id=tenant_id,
            actor=actor,
            action="tenant.updated",
            object_type="tenant",
            object_id=tenant_id,
            before=before,
            after={"name": tenant.name, "default_currency": tenant.default_currency},
        )
        return tenant


def get_settings(app: AppServices, *, tenant_id: uuid.UUID) -> TenantSettingsModel:
    return TenantSettingsModel.stored(get_tenant(app, tenant_id=tenant_id).settings)


def replace_settings(
    app: AppServices, *, tenant_id: uuid.UUID, actor: Actor, settings: TenantSettingsModel
) -> TenantSettingsModel:
    """Replace the tenant's settings (matching rules included) as a whole."""
    with app.db.unit_of_work(tenant_id) as session:
        _store_settings(session, _locked(session, tenant_id), actor, settings)
    return settings


def change_settings(
    app: AppServices, *, tenant_id: uuid.UUID, actor: Actor, changes: dict[str, Any]
) -> TenantSettingsModel:
    """Change only the settings in `changes` (within `matching`, only the rules it names; a
    list is replaced whole); the result is validated as a whole, like a replace."""
    with app.db.unit_of_work(tenant_id) as session:
        tenant = _locked(session, tenant_id)
        current = TenantSettingsModel.stored(tenant.settings).model_dump(mode="json")
        try:
            settings = TenantSettingsModel.model_validate(_merged(current, changes))
        except ValidationError as exc:
            raise ValidationFailed(
                detail="the settings are not valid",
                errors=field_errors_from_pydantic(exc.errors(include_url=False)),  # type: ignore[arg-type]
            ) from None
        _store_settings(session, tenant, actor, settings)
    return settings


def _merged(current: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    merged = dict(current)
    for name, value in changes.items():
        if isinstance(value, dict) and isinstance(current.get(name), dict):
            merged[name] = _merged(current[name], value)
        else:
            merged[name] = value
    return merged


def _locked(session: Session, tenant_id: uuid.UUID) -> Tenant:
    """The tenant's row, locked: two changes of its settings take turns, none lost."""
    tenant = repository.get(session, tenant_id, lock=True)
    if tenant is None:
        raise NotFound(detail="no such tenant")
    return tenant


def _store_settings(
    session: Session, tenant: Tenant, actor: Actor, settings: TenantSettingsModel
) -> None:
    before = dict(tenant.settings)
    tenant.settings = settings.model_dump(mode="json")
    record(
        session,
        tenant_id=tenant.id,
        actor=actor,
        action="tenant.settings_changed",
        object_type="tenant",
        object_id=tenant.id,
        before=before,
        after=tenant.settings,
    )


def export_tenant(app: AppServices, *, tenant_id: uuid.UUID, actor: Actor) -> IO[bytes]:
    """Everything the tenant has stored, as a zip of JSON and CSV files (GDPR access)."""
    with app.db.unit_of_work(tenant_id) as session:
        record(
            session,
            tenant_id=tenant_id,
            actor=actor,
            action="tenant.exported",
            object_type="tenant",
            object_id=tenant_id,
        )
        session.flush()
        return gdpr.write_archive(session, tenant_id)


def delete_tenant(app: AppServices, *, tenant_id: uuid.UUID, confirm: str) -> None:
    """Purge the tenant and every row it owns (GDPR erasure); `confirm` must be its slug."""
    with app.db.unit_of_work(tenant_id) as session:
        tenant = repository.get(session, tenant_id)
        if tenant is None:
            raise NotFound(detail="no such tenant")
        if confirm != tenant.slug:
            raise ValidationFailed(
                detail="confirmation does not match",
                errors=[FieldError("confirm", "must be the tenant's slug")],
            )
        session.delete(tenant)


def list_all_tenants(app: AppServices) -> list[repository.TenantRow]:
    """Every tenant, for platform operators (bypasses tenant scoping by design)."""
    with app.db.unit_of_work() as session:
        return repository.all_tenants(session)
