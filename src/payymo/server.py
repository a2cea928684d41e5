"""Running the web app under gunicorn from `payymo serve`."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable
from typing import Any

from flask import Flask
from gunicorn import util
from gunicorn.app.base import BaseApplication
from gunicorn.workers.gthread import ThreadWorker

from payymo.errors import PROBLEM_MEDIA_TYPE, problem_body
from payymo.logs import logging_dict_config
from payymo.settings import Settings

# What gunicorn refuses before the app sees a request (docs/operations.md): a request line over
# 8190 bytes (gunicorn's largest bound; 0 would mean none at all) is a 414; a header line over
# 8190 bytes or more than 100 header fields a 431. Its default request line, 4094, refused
# ordinary filtered list URLs.
REQUEST_LIMITS = {
    "limit_request_line": 8190,
    "limit_request_field_size": 8190,
    "limit_request_fields": 100,
}
WORKER_CLASS = "payymo.server.ProblemWorker"


class _Gunicorn(BaseApplication):  # type: ignore[misc] # gunicorn is untyped
    """gunicorn calls `load` in each worker after the fork (no preload): the master never
    builds the app, so nothing the app starts (a rate limiter's timer, a pool, a connection)
    is alive in the process that forks."""

    def __init__(self, build: Callable[[], Flask], options: dict[str, Any]) -> None:
        self._build = build
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self._build()


class ProblemWorker(ThreadWorker):  # type: ignore[misc] # gunicorn is untyped
    """gunicorn's threaded worker, answering what gunicorn itself refuses (a request line or a
    header too long, a malformed request) as problem+json, like every other Payymo error."""

    def init_process(self) -> None:
        # gunicorn writes those answers with `util.write_error`, an HTML page; its status and
        # reason are chosen in `Worker.handle_error`, which is kept. Only worker processes run
        # this, after the fork.
        util.write_error = write_problem
        super().init_process()


def write_problem(sock: socket.socket, status: int, reason: str, message: str) -> None:
    """`util.write_error`'s answer, as problem+json: a stable type from the reason phrase."""
    slug = reason.lower().replace(" ", "-")
    body = problem_body(status=status, slug=slug, title=reason, detail=message or None)
    content = json.dumps(body).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        "Connection: close\r\n"
        f"Content-Type: {PROBLEM_MEDIA_TYPE}\r\n"
        f"Content-Length: {len(content)}\r\n"
        "X-Content-Type-Options: nosniff\r\n"
        "Cache-Control: no-store\r\n"
        "\r\n"
    )
    util.write_nonblock(sock, head.encode("latin-1") + content)


def _post_worker_init(
    worker: Any, settings: Settings, after_start: Callable[[Flask], None] | None
) -> None:
    app: Flask = worker.wsgi
    if settings.sandbox_enabled and settings.effective_tasks_eager:
        from payymo.worker.inprocess import start_scheduler  # noqa: PLC0415

        start_scheduler(app, settings)  # no broker, no beat: this one worker keeps time
    # The first worker only: a worker the master replaces later must not run it again.
    if after_start is not None and worker.age == 1:
        threading.Thread(
            target=after_start, args=(app,), name="payymo-after-start", daemon=True
        ).start()


def serve(
    build: Callable[[], Flask],
    settings: Settings,
    *,
    host: str,
    port: int,
    after_start: Callable[[Flask], None] | None = None,
) -> None:
    """Serve the app `build` makes with gunicorn in the foreground until Ctrl-C or SIGTERM.

    Each worker builds its own app after the fork. `after_start` runs once, in a thread of the
    first worker once its app is built. No thread ever runs in the master: one there can hold
    an import lock (or any lock) at the moment the master forks, and the worker then inherits
    a lock nobody will release.
    """
    options: dict[str, Any] = {
        "bind": f"{host}:{port}",
        # The in-process simulators keep their state in memory: one worker keeps it coherent.
        "workers": 1 if settings.sandbox_enabled else settings.web_workers,
        "threads": settings.web_threads,
        "worker_class": WORKER_CLASS,
        **REQUEST_LIMITS,
        "preload_app": False,
        "accesslog": None,
        # In sandbox mode the console is a developer's: gunicorn's start-up lines repeat ours.
        "logconfig_dict": logging_dict_config(
            settings.log_level, server_level="WARNING" if settings.sandbox_enabled else None
        ),
        "control_socket_disable": True,
        "graceful_timeout": 10,
        "timeout": 60,
        "post_worker_init": lambda worker: _post_worker_init(worker, settings, after_start),
    }
    _Gunicorn(build, options).run()
