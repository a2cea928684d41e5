"""The work done by hand that the scheduler otherwise does: sync and post; and the offline
reconciliation of files."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import click

from payymo.cli.base import (
    CliConfigError,
    CliError,
    load_settings,
    one_line_errors,
    tenants_named,
)


@click.command()
@click.option("--tenant", "tenant_ref", help="Tenant slug or id (default: every tenant).")
@click.option("--account", "account_id", type=click.UUID, help="Only this bank account.")
@one_line_errors
def sync(tenant_ref: str | None, account_id: uuid.UUID | None) -> None:
    """Sync WHMCS invoices, Stripe and bank transactions now, with progress and a summary."""
    from payymo.http import build_services  # noqa: PLC0415
    from payymo.integrations import sync_all  # noqa: PLC0415

    if account_id is not None and tenant_ref is None:
        raise CliConfigError("--account needs --tenant")
    app = build_services(load_settings())
    slugs = tenants_named(app.db, tenant_ref)
    steps = [
        (t, step) for t in slugs for step in sync_all.plan(app, tenant_id=t, account_id=account_id)
    ]
    results = []
    with click.progressbar(
        steps, label="syncing", file=sys.stderr, item_show_func=lambda s: s[1][0] if s else None
    ) as bar:
        for tenant_id, step in bar:
            results.append(sync_all.run_step(tenant_id, step))
    width = max((len(slug) for slug in slugs.values()), default=0)
    for result in results:
        mark = "ok    " if result.ok else "FAILED"
        slug = slugs[result.tenant_id]
        click.echo(f"{mark} {slug:<{width}} {result.step:<28} {result.summary}")
    failed = sum(not r.ok for r in results)
    click.echo(f"{len(results)} step(s), {failed} failed")
    if failed:
        raise CliError(f"{failed} sync step(s) failed")


@click.command()
@click.option("--tenant", "tenant_ref", help="Tenant slug or id (default: every tenant).")
@one_line_errors
def post(tenant_ref: str | None) -> None:
    """Send due postings to WHMCS now (the outbox), each allocation exactly once."""
    from payymo.errors import NotFound  # noqa: PLC0415
    from payymo.http import build_services  # noqa: PLC0415
    from payymo.reconciliation import posting  # noqa: PLC0415

    app = build_services(load_settings())
    slugs = tenants_named(app.db, tenant_ref)
    failed = 0
    with click.progressbar(list(slugs.items()), label="posting", file=sys.stderr) as bar:
        for tenant_id, slug in bar:
            try:
                run = posting.post_due(app, tenant_id=tenant_id)
            except NotFound:
                continue  # no WHMCS connection: nothing can be owed to it
            failed += run.failed
            click.echo(
                f"{slug} posted {run.posted}, already in WHMCS "
                f"{run.already_there}, failed {run.failed}"
            )
            for error in run.errors:
                click.echo(f"  {error}")
    if failed:
        raise CliError(f"{failed} posting(s) failed; they are retried later or need review")


@click.command()
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
        click.echo(line)


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
