"""Tenant and user use cases, on both backends."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from payymo.audit.models import AuditEntry
from payymo.auth.models import User
from payymo.auth.passwords import verify_password
from payymo.auth.roles import Role
from payymo.auth.services import create_user
from payymo.db import Database
from payymo.errors import Conflict, NotFound, ValidationFailed
from payymo.sandbox.demo import DEMO_EMAIL, DEMO_PASSWORD, seed_demo
from payymo.tenants.services import create_tenant, find_tenant_by_slug

PASSWORD = "correct horse battery staple"


def test_creating_a_tenant_is_audited_inside_that_tenant(db: Database) -> None:
    created = create_tenant(db, name="Acme Hosting")
    assert created.slug == "acme-hosting"
    with db.unit_of_work(created.id) as session:
        entries = session.scalars(
            sa.select(AuditEntry).where(AuditEntry.tenant_id == created.id)
        ).all()
    assert [(e.action, e.object_id, e.tenant_id) for e in entries] == [
        ("tenant.created", str(created.id), created.id)
    ]


def test_a_taken_slug_is_a_conflict(db: Database) -> None:
    create_tenant(db, name="Acme", slug="acme")
    with pytest.raises(Conflict):
        create_tenant(db, name="Other Acme", slug="acme")


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"name": "", "slug": "ok"}, {"name"}),
        ({"name": "Fine", "slug": "Not A Slug"}, {"slug"}),
        ({"name": "Fine", "default_currency": "EURO"}, {"default_currency"}),
    ],
)
def test_invalid_tenant_fields_are_named(
    db: Database, fields: dict[str, str], bad: set[str]
) -> None:
    with pytest.raises(ValidationFailed) as excinfo:
        create_tenant(db, **fields)  # type: ignore[arg-type]
    assert {e.field for e in excinfo.value.errors} == bad


def test_a_user_is_stored_with_an_argon2id_hash_and_a_normalised_email(db: Database) -> None:
    owner = create_tenant(db, name="Acme")
    user = create_user(
        db, tenant_id=owner.id, email=" Ann@Example.COM ", password=PASSWORD, role=Role.OWNER
    )
    with db.unit_of_work(owner.id) as session:
        stored = session.scalars(sa.select(User).where(User.id == user.id)).one()
    assert stored.email == "ann@example.com"
    assert stored.password_hash is not None
    assert stored.password_hash.startswith("$argon2id$")
    assert PASSWORD not in stored.password_hash
    assert verify_password(stored.password_hash, PASSWORD)
    assert not verify_password(stored.password_hash, PASSWORD + "!")


def test_the_same_email_twice_in_a_tenant_is_a_conflict(db: Database) -> None:
    owner = create_tenant(db, name="Acme")
    create_user(db, tenant_id=owner.id, email="a@example.com", password=PASSWORD, role=Role.VIEWER)
    with pytest.raises(Conflict):
        create_user(
            db, tenant_id=owner.id, email="A@example.com", password=PASSWORD, role=Role.ADMIN
        )


def test_the_same_email_in_two_tenants_is_two_users(db: Database) -> None:
    first, second = create_tenant(db, name="One"), create_tenant(db, name="Two")
    for owner in (first, second):
        create_user(
            db, tenant_id=owner.id, email="a@example.com", password=PASSWORD, role=Role.OWNER
        )


def test_weak_passwords_and_bad_emails_are_refused_with_both_reasons(db: Database) -> None:
    owner = create_tenant(db, name="Acme")
    with pytest.raises(ValidationFailed) as excinfo:
        create_user(db, tenant_id=owner.id, email="nope", password="short", role=Role.OWNER)
    assert {e.field for e in excinfo.value.errors} == {"email", "password"}


def test_a_user_in_a_missing_tenant_is_not_found(db: Database) -> None:
    import uuid  # noqa: PLC0415

    with pytest.raises(NotFound):
        create_user(
            db, tenant_id=uuid.uuid4(), email="a@example.com", password=PASSWORD, role=Role.OWNER
        )


def test_seeding_the_demo_twice_creates_it_once(db: Database) -> None:
    first = seed_demo(db)
    second = seed_demo(db)
    assert first.created
    assert not second.created
    demo = find_tenant_by_slug(db, first.tenant_slug)
    assert demo is not None
    with db.unit_of_work(demo.id) as session:
        users = session.scalars(sa.select(User).where(User.tenant_id == demo.id)).all()
    assert [u.email for u in users] == [DEMO_EMAIL]
    assert users[0].password_hash is not None
    assert verify_password(users[0].password_hash, DEMO_PASSWORD)
