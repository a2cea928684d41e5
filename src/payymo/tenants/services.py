"""Tenant use cases."""

from __future__ import annotations

import re
import uuid

from sqlalchemy.exc import IntegrityError

from payymo.audit.services import Actor, record
from payymo.db import Database
from payymo.errors import Conflict, FieldError, ValidationFailed
from payymo.money import MoneyError, parse_currency
from payymo.tenants import repository
from payymo.tenants.models import Tenant

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
