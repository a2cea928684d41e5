"""The services a task uses: the web app's own in-process (eager) mode, else one set per
worker process, built from the environment on first use and rebuilt after a fork."""

from __future__ import annotations

import os
import threading

from payymo.http import AppServices, build_services
from payymo.worker.app import current_settings

_lock = threading.Lock()
_services: AppServices | None = None
_pid: int | None = None


def use(services: AppServices) -> None:
    """Run tasks with `services` (the web app does this when tasks run in-process)."""
    global _services, _pid
    with _lock:
        _services, _pid = services, os.getpid()


def services() -> AppServices:
    global _services, _pid
    with _lock:
        if _services is None or _pid != os.getpid():
            _services, _pid = build_services(current_settings()), os.getpid()
        return _services
