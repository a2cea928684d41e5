"""Metrics of background work (exposed by the operations work): queue depth per queue, task
durations and failures."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

TASK_DURATION = Histogram("payymo_task_duration_seconds", "Time a task took, by task", ["task"])
TASK_FAILURES = Counter(
    "payymo_task_failures_total",
    "Task failures, by task and outcome (retry or dead)",
    ["task", "outcome"],
)
QUEUE_DEPTH = Gauge("payymo_queue_depth", "Messages waiting, by queue", ["queue"])
