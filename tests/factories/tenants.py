"""Tenants for tests, created through the real service (so audited and RLS-checked)."""

from __future__ import annotations

import uuid

from payymo.db import Database
from payymo.tenants.models import Tenant
from payymo.tenants.services import create_tenant


def tenant(db: Database, name: str | None = None) -> Tenant:
    suffix = uuid.uuid4().hex[:8]
    return create_tenant(db, name=name or f"Hosting {suffix}", slug=f"t-{suffix}")
