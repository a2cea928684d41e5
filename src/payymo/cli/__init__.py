"""The `payymo` command: database, tenants, users, keys, demo data, sync, posting, offline
reconciliation and the web server.

Each command imports what it needs when it runs: `payymo reconcile` works on files alone and
starts without Flask, SQLAlchemy or Celery.
"""

from __future__ import annotations

import click

from payymo.cli import admin, operations, web
from payymo.cli.base import CliConfigError, CliError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Payymo: payment reconciliation for web-hosting companies."""


for command in (
    admin.db,
    admin.tenant,
    admin.user,
    admin.keys,
    admin.demo,
    operations.sync,
    operations.post,
    operations.reconcile,
    web.sandbox,
    web.serve,
):
    cli.add_command(command)


def main() -> None:
    cli(prog_name="payymo")


__all__ = ["CliConfigError", "CliError", "cli", "main"]
