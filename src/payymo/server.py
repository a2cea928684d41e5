"""Running the web app under gunicorn from `payymo serve`."""

from __future__ import annotations

from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

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


def serve(app: Flask, settings: Settings, *, host: str, port: int) -> None:
    """Serve `app` with gunicorn in the foreground until Ctrl-C or SIGTERM."""
    options = {
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
    }
    _Gunicorn(app, options).run()
