"""The `payymo` command: database, tenants, users, keys, demo data and the web server.

Each command imports what it needs when it runs: `payymo reconcile` works on files alone and
starts without Flask, SQLAlchemy or Celery.
"""

from __future__ import annotations

import sys
import time
import uuid
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from payymo.auth.roles import Role

if TYPE_CHECKING:
    from payymo.db import Database
    from payymo.settings import Settings
    from payymo.tenants.models import Tenant

EXIT_FAILURE = 1
EXIT_USAGE = 2


class CliError(click.ClickException):
    """A one-line error and exit code 1; never a traceback."""

    exit_code = EXIT_FAILURE


class CliConfigError(CliError):
    """Bad settings or input files: exit code 2."""

    exit_code = EXIT_USAGE


def _one_line_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from sqlalchemy.exc import OperationalError  # noqa: PLC0415

        from payymo.crypto import SecretBoxError  # noqa: PLC0415
        from payymo.errors import ProblemError  # noqa: PLC0415
        from payymo.settings import SettingsError  # noqa: PLC0415

        try:
            return func(*args, **kwargs)
        except SettingsError as exc:
            raise CliConfigError(str(exc)) from None
        except ProblemError as exc:
            fields = "; ".join(f"{e.field}: {e.message}" for e in exc.errors)
            raise CliError(": ".join(p for p in (exc.detail or exc.title, fields) if p)) from None
        except SecretBoxError as exc:
            raise CliConfigError(str(exc)) from None
        except OperationalError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise CliError(f"database unavailable: {reason}") from None

    return wrapper


def _settings() -> Settings:
    from payymo.settings import load_settings  # noqa: PLC0415

    return load_settings()


def _database(settings: Settings) -> Database:
    from payymo.db import Database  # noqa: PLC0415

    return Database(
        settings.effective_database_url,
        role=settings.database_role,
        pool_size=settings.database_pool_size,
    )


def _resolve_tenant(db: Database, ref: str) -> Tenant:
    from payymo.tenants import repository  # noqa: PLC0415
    from payymo.tenants.services import find_tenant_by_slug  # noqa: PLC0415

    try:
        tenant_id = uuid.UUID(ref)
    except ValueError:
        tenant = find_tenant_by_slug(db, ref)
    else:
        with db.unit_of_work(tenant_id) as session:
            tenant = repository.get(session, tenant_id)
    if tenant is None:
        raise CliError(f"no tenant {ref!r}")
    return tenant


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Payymo: payment reconciliation for web-hosting companies."""


@cli.group()
def db() -> None:
    """Schema migrations (uses DATABASE_MIGRATION_URL, else DATABASE_URL)."""


@db.command("upgrade")
@click.argument("revision", default="head")
@_one_line_errors
def db_upgrade(revision: str) -> None:
    """Migrate the database up to REVISION (default: head)."""
    from payymo import migrate  # noqa: PLC0415

    migrate.upgrade(_settings().effective_migration_url, revision)
    click.echo(f"database at {revision}")


@db.command("downgrade")
@click.argument("revision")
@_one_line_errors
def db_downgrade(revision: str) -> None:
    """Migrate the database down to REVISION (e.g. -1, or base to drop everything)."""
    from payymo import migrate  # noqa: PLC0415

    migrate.downgrade(_settings().effective_migration_url, revision)
    click.echo(f"database at {revision}")


@db.command("check")
@_one_line_errors
def db_check() -> None:
    """Fail if the models and the migrated schema differ."""
    from payymo import migrate  # noqa: PLC0415

    differences = migrate.check(_settings().effective_migration_url)
    if differences:
        for diff in differences:
            click.echo(f"drift: {diff}", err=True)
        raise CliError(f"{len(differences)} difference(s) between models and migrations")
    click.echo("models and migrations agree")


@cli.group()
def tenant() -> None:
    """Tenants."""


@tenant.command("create")
@click.argument("name")
@click.option("--slug", help="URL-safe identifier; derived from NAME when omitted.")
@click.option("--currency", default="EUR", show_default=True, help="Default ISO currency.")
@_one_line_errors
def tenant_create(name: str, slug: str | None, currency: str) -> None:
    """Create a tenant called NAME."""
    from payymo.tenants.services import create_tenant  # noqa: PLC0415

    created = create_tenant(_database(_settings()), name=name, slug=slug, default_currency=currency)
    click.echo(f"created tenant {created.slug} ({created.id})")


@cli.group()
def user() -> None:
    """Users."""


@user.command("create")
@click.option("--tenant", "tenant_ref", required=True, help="Tenant slug or id.")
@click.option("--email", required=True)
@click.option("--role", type=click.Choice([role.value for role in Role]), required=True)
@click.option("--name", "full_name", default="", help="Full name.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@_one_line_errors
def user_create(
    tenant_ref: str, email: str, role: str, full_name: str, password_stdin: bool
) -> None:
    """Create a user; the password is prompted for unless --password-stdin is given."""
    from payymo.auth.services import create_user  # noqa: PLC0415

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    database = _database(_settings())
    found = _resolve_tenant(database, tenant_ref)
    created = create_user(
        database,
        tenant_id=found.id,
        email=email,
        password=password,
        role=Role(role),
        full_name=full_name,
    )
    click.echo(f"created user {created.email} ({created.role.value}) in {found.slug}")


@cli.group()
def keys() -> None:
    """Encryption keys for secrets at rest."""


@keys.command("generate")
def keys_generate() -> None:
    """Print a new key for ENCRYPTION_KEYS."""
    from payymo.crypto import generate_key  # noqa: PLC0415

    click.echo(generate_key())


@keys.command("rotate")
@_one_line_errors
def keys_rotate() -> None:
    """Re-encrypt every stored secret under the first key of ENCRYPTION_KEYS.

    Put the new key first in ENCRYPTION_KEYS (keep the old ones after it), run this, then the
    old keys can be removed.
    """
    from payymo.crypto import SecretBox  # noqa: PLC0415
    from payymo.keys import rotate_secrets  # noqa: PLC0415

    settings = _settings()
    box = SecretBox(settings.effective_encryption_keys)
    with click.progressbar(length=1, label="re-encrypting", file=sys.stderr) as bar:

        def advance(done: int, total: int) -> None:
            bar.length = max(total, 1)
            bar.update(1)

        result = rotate_secrets(_database(settings), box, progress=advance)
    click.echo(f"re-encrypted {result.values} secret(s) in {result.tenants} tenant(s)")


@cli.group()
def demo() -> None:
    """Demo data for the embedded default (`make run`)."""


@demo.command("seed")
@_one_line_errors
def demo_seed() -> None:
    """Create the demo tenant and its owner if they are missing."""
    from payymo.sandbox.demo import seed_demo  # noqa: PLC0415

    login = seed_demo(_database(_settings()))
    state = "created" if login.created else "already present"
    click.echo(f"demo tenant {login.tenant_slug!r} {state}")
    click.echo(f"  sign in as {login.email} / {login.password} (workspace: {login.tenant_slug})")


@cli.command()
@click.option("--tenant", "tenant_ref", help="Tenant slug or id (default: every tenant).")
@click.option("--account", "account_id", type=click.UUID, help="Only this bank account.")
@_one_line_errors
def sync(tenant_ref: str | None, account_id: uuid.UUID | None) -> None:
    """Sync WHMCS invoices, Stripe and bank transactions now, with progress and a summary."""
    from payymo.http import build_services  # noqa: PLC0415
    from payymo.integrations import sync_all  # noqa: PLC0415
    from payymo.tenants import repository as tenants  # noqa: PLC0415

    if account_id is not None and tenant_ref is None:
        raise CliConfigError("--account needs --tenant")
    app = build_services(_settings())
    if tenant_ref is not None:
        tenant_ids = [_resolve_tenant(app.db, tenant_ref).id]
    else:
        with app.db.unit_of_work() as session:
            tenant_ids = [t.id for t in tenants.all_tenants(session)]
    steps = [
        (t, step)
        for t in tenant_ids
        for step in sync_all.plan(app, tenant_id=t, account_id=account_id)
    ]
    results = []
    with click.progressbar(
        steps, label="syncing", file=sys.stderr, item_show_func=lambda s: s[1][0] if s else None
    ) as bar:
        for tenant_id, step in bar:
            results.append(sync_all.run_step(tenant_id, step))
    for result in results:
        mark = "ok    " if result.ok else "FAILED"
        click.echo(f"{mark} {str(result.tenant_id)[:8]} {result.step:<28} {result.summary}")
    failed = sum(not r.ok for r in results)
    click.echo(f"{len(results)} step(s), {failed} failed")
    if failed:
        raise CliError(f"{failed} sync step(s) failed")


@cli.command()
@click.option("--tenant", "tenant_ref", help="Tenant slug or id (default: every tenant).")
@_one_line_errors
def post(tenant_ref: str | None) -> None:
    """Send due postings to WHMCS now (the outbox), each allocation exactly once."""
    from payymo.errors import NotFound  # noqa: PLC0415
    from payymo.http import build_services  # noqa: PLC0415
    from payymo.reconciliation import posting  # noqa: PLC0415
    from payymo.tenants import repository as tenants  # noqa: PLC0415

    app = build_services(_settings())
    if tenant_ref is not None:
        tenant_ids = [_resolve_tenant(app.db, tenant_ref).id]
    else:
        with app.db.unit_of_work() as session:
            tenant_ids = [t.id for t in tenants.all_tenants(session)]
    failed = 0
    with click.progressbar(tenant_ids, label="posting", file=sys.stderr) as bar:
        for tenant_id in bar:
            try:
                run = posting.post_due(app, tenant_id=tenant_id)
            except NotFound:
                continue  # no WHMCS connection: nothing can be owed to it
            failed += run.failed
            click.echo(
                f"{str(tenant_id)[:8]} posted {run.posted}, already in WHMCS "
                f"{run.already_there}, failed {run.failed}"
            )
            for error in run.errors:
                click.echo(f"  {error}")
    if failed:
        raise CliError(f"{failed} posting(s) failed; they are retried later or need review")


@cli.command()
@click.option(
    "--invoices",
    "invoices_path",
    type=click.Path(path_type=Path),
    required=True,
    help="A WHMCS GetInvoices response body (JSON).",
)
@click.option(
    "--transactions",
    "transaction_paths",
    type=click.Path(path_type=Path),
    multiple=True,
    required=True,
    help="A GoCardless transactions response body (JSON); repeatable.",
)
@click.option("--rules", "rules_path", type=click.Path(path_type=Path), help="Rules (TOML).")
@click.option("--out", "out_path", type=click.Path(path_type=Path), required=True)
def reconcile(
    invoices_path: Path,
    transaction_paths: tuple[Path, ...],
    rules_path: Path | None,
    out_path: Path,
) -> None:
    """Decide offline which invoices each transaction pays; nothing is posted."""
    from payymo.reconciliation.engine.batch import collector_paused  # noqa: PLC0415

    # One pause for the whole run: resumed between its steps, the collector would walk every
    # row read so far each time. The rows are gone before it resumes.
    with collector_paused():
        lines = _reconcile_files(invoices_path, transaction_paths, rules_path, out_path)
    for line in lines:
        click.echo(line, err=True)


def _reconcile_files(
    invoices_path: Path, transaction_paths: tuple[Path, ...], rules_path: Path | None, out: Path
) -> list[str]:
    from payymo.reconciliation import offline  # noqa: PLC0415
    from payymo.reconciliation.engine import decide_all  # noqa: PLC0415

    try:
        invoices = offline.read(invoices_path, offline.parse_invoices)
        transactions = [
            tx
            for path in transaction_paths
            for tx in offline.read(path, offline.parse_transactions)
        ]
        rules = offline.load_rules(rules_path)
    except offline.InputError as exc:
        raise CliConfigError(str(exc)) from None
    with click.progressbar(
        length=max(len(transactions), 1), label="deciding", file=sys.stderr
    ) as bar:
        done = [0]

        def advance(count: int, _total: int) -> None:
            bar.update(count - done[0])
            done[0] = count

        decisions = decide_all(transactions, invoices, rules, progress=advance)
    try:
        offline.write_decisions(out, decisions)
    except OSError as exc:
        raise CliConfigError(f"{out}: cannot write ({exc.strerror or exc})") from None
    return offline.summary(decisions)


SIMULATORS = ("gocardless", "stripe", "whmcs")


@cli.command()
@click.argument("provider", type=click.Choice(SIMULATORS))
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, required=True)
@click.option("--seed", type=int, default=7, show_default=True, help="Seed of the demo world.")
def sandbox(provider: str, host: str, port: int, seed: int) -> None:
    """Serve a provider simulator (GoCardless, Stripe or WHMCS) in the foreground."""
    import importlib  # noqa: PLC0415

    from werkzeug.serving import run_simple  # noqa: PLC0415

    module = importlib.import_module(f"payymo.sandbox.{provider}")
    click.echo(f"{provider} simulator on http://{host}:{port} (control API under /_sim)")
    run_simple(host, port, module.create_app(seed=seed), threaded=True)


@cli.command()
@click.option("--host", default=None, help="Address to bind (default: HOST setting).")
@click.option("--port", type=int, default=None, help="Port (default: PORT setting).")
@_one_line_errors
def serve(host: str | None, port: int | None) -> None:
    """Run the web app under gunicorn in the foreground (Ctrl-C stops it)."""
    from payymo.app import create_app  # noqa: PLC0415 - only this command needs Flask
    from payymo.server import serve as run_server  # noqa: PLC0415

    settings = _settings()
    app = create_app(settings)
    bind_host, bind_port = host or settings.host, port or settings.port
    click.echo(f"Payymo is starting on http://{bind_host}:{bind_port} (Ctrl-C stops it)")
    ready = (
        _connect_demo(settings, f"http://{bind_host}:{bind_port}")
        if settings.sandbox_enabled
        else None
    )
    run_server(app, settings, host=bind_host, port=bind_port, when_ready=ready)


def _connect_demo(settings: Settings, url: str) -> Callable[[], None]:
    """Once the server answers, connect the demo tenant to the sandbox and sync it once."""

    def connect() -> None:
        import httpx  # noqa: PLC0415

        from payymo.http import build_services  # noqa: PLC0415
        from payymo.sandbox.demo import connect_demo  # noqa: PLC0415

        for _ in range(100):
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        try:
            lines = connect_demo(build_services(settings), public_url=url)
        except Exception as exc:
            lines = [f"could not connect the demo tenant: {exc}"]
        click.echo("demo data: " + "; ".join(lines), err=True)

    return connect


def main() -> None:
    cli(prog_name="payymo")
