"""The demo tenant that `make run` seeds, so a newcomer has something to look at."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from payymo.auth.models import Role
from payymo.auth.services import create_user
from payymo.db import Database
from payymo.errors import Conflict
from payymo.tenants.services import create_tenant, find_tenant_by_slug

DEMO_SLUG = "demo"
DEMO_EMAIL = "demo@payymo.test"
# Printed by `make run` and written in the README: the demo tenant is not a secret.
DEMO_PASSWORD = "payymo-demo-password"  # noqa: S105


@dataclass(frozen=True)
class DemoLogin:
    tenant_slug: str
    email: str
    password: str
    created: bool


def seed_demo(db: Database) -> DemoLogin:
    """Create the demo tenant and its owner unless they exist; safe to run every start."""
    tenant = find_tenant_by_slug(db, DEMO_SLUG)
    created = tenant is None
    if tenant is None:
        tenant = create_tenant(db, name="Demo Hosting Ltd", slug=DEMO_SLUG, default_currency="EUR")
    with contextlib.suppress(Conflict):
        create_user(
            db,
            tenant_id=tenant.id,
            email=DEMO_EMAIL,
            password=DEMO_PASSWORD,
            role=Role.OWNER,
            full_name="Demo Owner",
        )
    return DemoLogin(DEMO_SLUG, DEMO_EMAIL, DEMO_PASSWORD, created)
