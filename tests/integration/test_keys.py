"""Key rotation re-encrypts every stored secret under the newest key."""

from __future__ import annotations

import sqlalchemy as sa

from payymo.crypto import SecretBox, generate_key
from payymo.db import Database
from payymo.invoicing.models import WhmcsConnection
from payymo.keys import encrypted_columns, rotate_secrets
from tests.factories.tenants import tenant


def test_every_secret_column_is_covered() -> None:
    names = {(t.name, c) for t, columns in encrypted_columns() for c in columns}
    assert ("whmcs_connections", "secret_encrypted") in names
    assert ("stripe_connections", "api_key_encrypted") in names
    assert ("users", "mfa_secret_encrypted") in names


def test_rotation_moves_secrets_to_the_new_key(db: Database) -> None:
    old, new = generate_key(), generate_key()
    old_box = SecretBox((old,))
    owners = [tenant(db), tenant(db)]
    for owner in owners:
        with db.unit_of_work(owner.id) as session:
            session.add(
                WhmcsConnection(
                    tenant_id=owner.id,
                    base_url="https://billing.example.com",
                    identifier_encrypted=old_box.encrypt(f"id-{owner.slug}"),
                    secret_encrypted=old_box.encrypt(f"secret-{owner.slug}"),
                )
            )
    # Other tests' tenants share the database, under keys of their own: rotate just these.
    result = rotate_secrets(db, SecretBox((new, old)), tenant_ids=[o.id for o in owners])
    assert result.values == 4
    new_only = SecretBox((new,))
    for owner in owners:
        with db.unit_of_work(owner.id) as session:
            row = session.scalars(
                sa.select(WhmcsConnection).where(WhmcsConnection.tenant_id == owner.id)
            ).one()
            assert new_only.decrypt(row.secret_encrypted) == f"secret-{owner.slug}"
            assert new_only.decrypt(row.identifier_encrypted) == f"id-{owner.slug}"
