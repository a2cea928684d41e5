"""Serving: the web app under gunicorn, and a provider simulator on its own."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import click

from payymo.cli.base import (
    load_settings,
    one_line_errors,
)

if TYPE_CHECKING:
    from payymo.settings import Settings


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
    from payymo.server import serve as run_server  # noqa: PLC0415

    settings = load_settings()
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
