"""Prometheus metrics Payymo records (exposed by the operations work)."""

from __future__ import annotations

from prometheus_client import Counter

AUTH_FAILURES = Counter(
    "payymo_auth_failures_total",
    "Failed authentication attempts, by reason",
    ["reason"],
)
