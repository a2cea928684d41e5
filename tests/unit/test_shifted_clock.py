"""The shifted-clock pass of `make test` (libfaketime) really runs with the clock moved ahead."""

from __future__ import annotations

import os
import time
from datetime import UTC, date, datetime, timedelta

import pytest

REAL_DAY = os.environ.get("PAYYMO_TEST_REAL_DAY")  # set by `make test-shifted`, before the shift


@pytest.mark.skipif(REAL_DAY is None, reason="only in the shifted-clock pass (make test-shifted)")
def test_the_wall_clock_is_at_least_a_year_ahead_and_timeouts_still_hold() -> None:
    assert REAL_DAY is not None
    assert datetime.now(UTC).date() >= date.fromisoformat(REAL_DAY) + timedelta(days=365)
    started = time.monotonic()
    time.sleep(0.05)
    assert 0.05 <= time.monotonic() - started < 5
