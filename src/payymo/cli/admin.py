"""Administration: the database, tenants, users, encryption keys and demo data."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from payymo.auth.roles import Role
from payymo.cli.base import (
    CliError,
    database,
    load_settings,
    one_line_errors,
    resolve_tenant,
)

if TYPE_CHECKING:
    from payymo.sandbox.demo import DemoLogin


@click.group()
def db() -> None:
    """Schema migrations (uses DATABASE_MIGRATION_URL, else DATABASE_URL)."""


@db.command("upgrade")
@click.argument("revision", default="head")
@one_line_errors
def db_upgrade(revision: str) -> None:
    """Migrate the database up to REVISION (default: head)."""
    from payymo import migrate  # noqa: PLC0415

    migrate.upgrade(load_settings().effective_migration_url, revision)
    click.echo(f"database at {revision}")


@db.command("downgrade")
@click.argument("revision")
@one_line_errors
def db_downgrade(revision: str) -> None:
    """Migrate the database down to REVISION (e.g. -1, or base to drop everything)."""
    from payymo import migrate  # noqa: PLC0415

    migrate.downgrade(load_settings().effective_migration_url, revision)
    click.echo(f"database at {revision}")


@db.command("check")
@one_line_errors
def db_check() -> None:
    """Fail if the models and the migrated schema differ."""
    from payymo import migrate  # noqa: PLC0415

    differences = migrate.check(load_settings().effective_migration_url)
    if differences:
        for diff in differences:
            click.echo(f"drift: {diff}", err=True)
        raise CliError(f"{len(differences)} difference(s) between models and migrations")
    click.echo("models and migrations agree")


@click.group()
def tenant() -> None:
    """Tenants."""


@tenant.command("create")
@click.argument("name")
@click.option("--slug", help="URL-safe identifier; derived from NAME when omitted.")
@click.option("--currency", default="EUR", show_default=True, help="Default ISO currency.")
@one_line_errors
def tenant_create(name: str, slug: str | None, currency: str) -> None:
    """Create a tenant called NAME."""
    from payymo.tenants.services import create_tenant  # noqa: PLC0415

    created = create_tenant(
        database(load_settings()), name=name, slug=slug, default_currency=currency
    )
    click.echo(f"created tenant {created.slug} ({created.id})")


@click.group()
def user() -> None:
    """Users."""


@user.command("create")
@click.option("--tenant", "tenant_ref", required=True, help="Tenant slug or id.")
@click.option("--email", required=True)
@click.option("--role", type=click.Choice([role.value for role in Role]), required=True)
@click.option("--name", "full_name", default="", help="Full name.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@one_line_errors
def user_create(
    tenant_ref: str, email: str, role: str, full_name: str, password_stdin: bool
) -> None:
    """Create a user; the password is prompted for unless --password-stdin is given."""
    from payymo.auth.services import create_user  # noqa: PLC0415

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    users_db = database(load_settings())
    found = resolve_tenant(users_db, tenant_ref)
    created = create_user(
        users_db,
        tenant_id=found.id,
        email=email,
        password=password,
        role=Role(role),
        full_name=full_name,
    )
    click.echo(f"created user {created.email} ({created.role.value}) in {found.slug}")


@click.group()
def keys() -> None:
    """Encryption keys for secrets at rest."""


@keys.command("generate")
def keys_generate() -> None:
    """Print a new key for ENCRYPTION_KEYS."""
    from payymo.crypto import generate_key  # noqa: PLC0415

    click.echo(generate_key())


@keys.command("rotate")
@one_line_errors
def keys_rotate() -> None:
    """Re-encrypt every stored secret under the first key of ENCRYPTION_KEYS.

    Put the new key first in ENCRYPTION_KEYS (keep the old ones after it), run this, then the
    old keys can be removed.
    """
    from payymo.crypto import SecretBox  # noqa: PLC0415
    from payymo.keys import rotate_secrets  # noqa: PLC0415

    settings = load_settings()
    box = SecretBox(settings.effective_encryption_keys)
    with click.progressbar(length=1, label="re-encrypting", file=sys.stderr) as bar:

        def advance(done: int, total: int) -> None:
            bar.length = max(total, 1)
            bar.update(1)

        result = rotate_secrets(database(settings), box, progress=advance)
    click.echo(f"re-encrypted {result.values} secret(s) in {result.tenants} tenant(s)")


@click.group()
def demo() -> None:
    """Demo data for the embedded default (`make run`)."""


@demo.command("seed")
@one_line_errors
def demo_seed() -> None:
    """Create the demo tenant and its owner if they are missing."""
    from payymo.sandbox.demo import seed_demo  # noqa: PLC0415

    _print_login(seed_demo(database(load_settings())))


@demo.command("reset")
@click.confirmation_option(
    "--yes", prompt="Delete the demo tenant and the simulators' state, and start over?"
)
@one_line_errors
def demo_reset() -> None:
    """Start the demo over: a new demo tenant and freshly seeded simulators (stop the server
    first; the next `payymo serve` connects and syncs the demo tenant again)."""
    from payymo.http import build_services  # noqa: PLC0415
    from payymo.sandbox.demo import reset_demo  # noqa: PLC0415

    settings = load_settings()
    services = build_services(settings)
    try:
        login = reset_demo(services, state_path=settings.effective_sandbox_state_path)
    finally:
        services.db.dispose()
    _print_login(login)


def _print_login(login: DemoLogin) -> None:
    state = "created" if login.created else "already present"
    click.echo(f"demo tenant {login.tenant_slug!r} {state}")
    click.echo(f"  sign in as {login.email} / {login.password} (workspace: {login.tenant_slug})")
