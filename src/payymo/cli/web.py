"""Serving: the web app under gunicorn, and a provider simulator on its own."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import TYPE_CHECKING

import click

from payymo.cli.base import (
    CliError,
    load_settings,
    one_line_errors,
)

if TYPE_CHECKING:
    from flask import Flask


SIMULATORS = ("gocardless", "stripe", "whmcs")


@click.command()
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


@click.command()
@click.option("--host", default=None, help="Address to bind (default: HOST setting).")
@click.option("--port", type=int, default=None, help="Port (default: PORT setting).")
@one_line_errors
def serve(host: str | None, port: int | None) -> None:
    """Run the web app under gunicorn in the foreground (Ctrl-C stops it)."""
    from payymo.app import create_app  # noqa: PLC0415 - only this command needs Flask
    from payymo.http import preflight  # noqa: PLC0415
    from payymo.server import serve as run_server  # noqa: PLC0415

    settings = load_settings()
    preflight(settings)
    bind_host, bind_port = host or settings.host, port or settings.port
    _check_free(bind_host, bind_port)
    click.echo(f"Payymo is starting on http://{bind_host}:{bind_port} (Ctrl-C stops it)")
    url = f"http://{bind_host}:{bind_port}"
    demo = _connect_demo(url) if settings.sandbox_enabled else None
    # Each gunicorn worker builds the app after it is forked; the master only supervises.
    run_server(
        lambda: create_app(settings), settings, host=bind_host, port=bind_port, after_start=demo
    )


def _check_free(host: str, port: int) -> None:
    """One line instead of gunicorn's five retries when the address is taken."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn binds
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise CliError(
                f"cannot listen on {host}:{port}: {exc.strerror or exc} (is another Payymo"
                " running? stop it, or pass --port / set PORT)"
            ) from None


def _connect_demo(url: str) -> Callable[[Flask], None]:
    """Connect the demo tenant to the sandbox and sync it once (run in the serving worker)."""

    def connect(app: Flask) -> None:
        from payymo.http import EXTENSION_KEY  # noqa: PLC0415
        from payymo.sandbox.demo import DEMO_EMAIL, DEMO_PASSWORD, DEMO_SLUG, connect_demo  # noqa: PLC0415

        try:
            lines = connect_demo(app.extensions[EXTENSION_KEY], public_url=url)
        except Exception as exc:
            lines = [f"could not connect the demo tenant: {exc}"]
        click.echo("demo data: " + "; ".join(lines), err=True)
        click.echo(
            f"ready: {url} (API docs at {url}/api/docs); sign in as {DEMO_EMAIL} /"
            f" {DEMO_PASSWORD} (workspace: {DEMO_SLUG})",
            err=True,
        )

    return connect
