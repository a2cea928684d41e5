"""Running the web app under gunicorn from `payymo serve`."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from payymo.http import EXTENSION_KEY
from payymo.logs import logging_dict_config
from payymo.settings import Settings


class _Gunicorn(BaseApplication):  # type: ignore[misc] # gunicorn is untyped
    def __init__(self, app: Flask, options: dict[str, Any]) -> None:
        self._app = app
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self._app


def _post_fork(_server: Any, _worker: Any, app: Flask, settings: Settings) -> None:
    # Connections opened before the fork belong to the master; each worker opens its own.
    app.extensions[EXTENSION_KEY].db.engine.dispose(close=False)
    if settings.sandbox_enabled and settings.effective_tasks_eager:
        from payymo.worker.inprocess import start_scheduler  # noqa: PLC0415

        start_scheduler(app, settings)  # no broker, no beat: this one worker keeps time


def serve(
    app: Flask,
    settings: Settings,
    *,
    host: str,
    port: int,
    when_ready: Callable[[], None] | None = None,
) -> None:
    """Serve `app` with gunicorn in the foreground until Ctrl-C or SIGTERM.

    `when_ready` runs once, in a background thread of the master, after the server listens.
    """
    options: dict[str, Any] = {
        "bind": f"{host}:{port}",
        # The in-process simulators keep their state in memory: one worker keeps it coherent.
        "workers": 1 if settings.sandbox_enabled else settings.web_workers,
        "threads": settings.web_threads,
        "worker_class": "gthread",
        "accesslog": None,
        "logconfig_dict": logging_dict_config(settings.log_level),
        "control_socket_disable": True,
        "graceful_timeout": 10,
        "timeout": 60,
        "post_fork": lambda server, worker: _post_fork(server, worker, app, settings),
    }
    if when_ready is not None:
        options["when_ready"] = lambda _server: threading.Thread(
            target=when_ready, name="payymo-when-ready", daemon=True
        ).start()
    _Gunicorn(app, options).run()
