"""Loaded (via PYTHONPATH) by every Python process of `make test`'s shifted-clock pass.

That pass runs under libfaketime with the wall clock moved ahead and the monotonic clock left
alone (FAKETIME_DONT_FAKE_MONOTONIC=1): dates move, timeouts still mean what they say. Debian's
libfaketime 0.9.10 then turns Python's `time.sleep` (an absolute `clock_nanosleep` on the
monotonic clock) into EINVAL, so `time.sleep` waits with `select` instead, which keeps its
behaviour: the same seconds, ValueError for a negative time, retried after a signal.
"""

from __future__ import annotations

import os
import select
import time

if "faketime" in os.environ.get("LD_PRELOAD", ""):

    def _sleep(seconds: float) -> None:
        select.select([], [], [], seconds)

    time.sleep = _sleep
