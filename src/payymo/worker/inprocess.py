"""The schedule without a broker: `make run`'s web process runs the beat entries itself.

With tasks running in-process (no REDIS_URL) there is no `celery beat`; in sandbox mode the
single web worker starts this thread instead, so the demo tenant keeps syncing, deciding and
posting on the same schedule and through the same tasks. Interval entries only (the nightly
backup hook is left to a real scheduler).
"""

from __future__ import annotations

import logging
import threading
import time

from flask import Flask

from payymo.logs import get_logger
from payymo.settings import Settings
from payymo.worker.enqueue import send
from payymo.worker.schedule import beat_schedule

log = get_logger(__name__)


def start_scheduler(app: Flask, settings: Settings) -> threading.Thread:
    # A line per cycle task every minute would bury the console of `make run`; failures are
    # still logged (Celery logs them as errors, jobs record their outcome).
    logging.getLogger("celery.app.trace").setLevel(logging.WARNING)
    entries = [
        (entry["task"], float(entry["schedule"]))
        for entry in beat_schedule(settings).values()
        if isinstance(entry["schedule"], float)
    ]
    thread = threading.Thread(
        target=_loop, args=(app, entries), name="payymo-scheduler", daemon=True
    )
    thread.start()
    return thread


def _loop(app: Flask, entries: list[tuple[str, float]]) -> None:
    due = {name: time.monotonic() + every for name, every in entries}
    while True:
        time.sleep(1)
        for name, every in entries:
            if time.monotonic() < due[name]:
                continue
            due[name] = time.monotonic() + every
            try:
                with app.app_context():
                    send(name, None)
            except Exception as exc:
                log.error("scheduler_cycle_failed", task=name, error=str(exc))
