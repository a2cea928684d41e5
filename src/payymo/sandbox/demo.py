"""The demo tenant that `make run` seeds, so a newcomer has something to look at."""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
from sqlalchemy import select

from payymo.audit.services import Actor
from payymo.auth.roles import Role
from payymo.auth.services import create_user
from payymo.banking.connections import complete_connection, start_connection
from payymo.banking.models import BankConnection
from payymo.db import Database
from payymo.errors import Conflict
from payymo.http import AppServices
from payymo.integrations import sync_all
from payymo.invoicing.connections import connect_whmcs
from payymo.invoicing.connections import connection_row as whmcs_row
from payymo.payments.connections import connect_stripe
from payymo.payments.connections import find_connection as stripe_row
from payymo.sandbox.mount import STRIPE_KEY, WHMCS_CREDENTIALS
from payymo.tenants.services import create_tenant, delete_tenant, find_tenant_by_slug

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


def reset_demo(app: AppServices, *, state_path: Path) -> DemoLogin:
    """Start over: purge the demo tenant, forget the simulators' state, seed the tenant again.

    The server must be stopped: a running one would write its simulators' state back.
    """
    tenant = find_tenant_by_slug(app.db, DEMO_SLUG)
    if tenant is not None:
        delete_tenant(app, tenant_id=tenant.id, confirm=DEMO_SLUG)
    for stale in (state_path, state_path.with_name(f"{state_path.name}.unreadable")):
        stale.unlink(missing_ok=True)
    return seed_demo(app.db)


def connect_demo(app: AppServices, *, public_url: str) -> list[str]:
    """Connect the demo tenant to the in-process simulators and sync it once (idempotent).

    Runs against the live server (the simulators are mounted in it), so `payymo serve` calls it
    once the server listens. Returns one line per step, for the console.
    """
    tenant = find_tenant_by_slug(app.db, DEMO_SLUG)
    if tenant is None:
        return ["demo tenant missing: run payymo demo seed"]
    actor = Actor.system("demo")
    base = public_url.rstrip("/")
    with app.db.unit_of_work(tenant.id) as session:
        has_whmcs = whmcs_row(session, tenant.id) is not None
        has_stripe = stripe_row(session, tenant.id) is not None  # even disconnected: leave it
        has_bank = bool(
            session.scalars(
                select(BankConnection.id).where(BankConnection.tenant_id == tenant.id)
            ).first()
        )
    if not has_whmcs:
        identifier, secret = WHMCS_CREDENTIALS
        connect_whmcs(
            app,
            tenant_id=tenant.id,
            actor=actor,
            base_url=f"{base}/sandbox/whmcs",
            identifier=identifier,
            secret=secret,
        )
    if not has_stripe:
        connect_stripe(app, tenant_id=tenant.id, actor=actor, api_key=STRIPE_KEY)
    if not has_bank:
        _link_sandbox_bank(app, tenant.id, actor, base)
    steps = sync_all.plan(app, tenant_id=tenant.id)
    return [f"{r.step}: {r.summary}" for r in (sync_all.run_step(tenant.id, s) for s in steps)]


def _link_sandbox_bank(app: AppServices, tenant_id: uuid.UUID, actor: Actor, base: str) -> None:
    """Give consent at the simulated bank the way a user's browser would."""
    connection = start_connection(
        app,
        tenant_id=tenant_id,
        actor=actor,
        institution_id="SANDBOXFINANCE_SFIN0000",
        redirect_url=f"{base}/",
    )
    consent = httpx.get(connection.link or "", params={"action": "approve"}, timeout=10)
    reference = parse_qs(urlsplit(consent.headers.get("location", "")).query).get("ref", [""])[0]
    complete_connection(app, tenant_id=tenant_id, actor=actor, reference=reference)
