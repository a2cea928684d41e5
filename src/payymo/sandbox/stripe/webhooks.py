"""Signed webhook delivery in a background thread, with a bounded retry and a delivery log."""

from __future__ import annotations

import hashlib
import hmac
import json
import queue
import threading
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

import httpx

from payymo.sandbox.stripe.objects import StripeObject

USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"


def signature_header(payload: str, secret: str, timestamp: int) -> str:
    """`Stripe-Signature`: `t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<payload>")>`."""
    digest = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


@dataclass(frozen=True)
class _Job:
    generation: int
    event_id: str
    event_type: str
    payload: str


@dataclass(frozen=True)
class Delivery:
    """One attempt to deliver one event."""

    event: str
    type: str
    attempt: int
    status: int | None
    error: str | None
    at: str


class WebhookDispatcher:
    """POSTs events to one endpoint, oldest first, never on the thread that emitted them."""

    def __init__(
        self,
        *,
        url: str,
        secret: str,
        attempts: int = 3,
        backoff_seconds: float = 0.2,
        timeout_seconds: float = 5.0,
    ) -> None:
        self.url = url
        self._secret = secret
        self._attempts = attempts
        self._backoff = backoff_seconds
        self._timeout = timeout_seconds
        self._jobs: queue.Queue[_Job] = queue.Queue()
        self._lock = threading.Lock()
        self._sending = threading.Lock()  # held during each attempt, so clear() can wait it out
        self._generation = 0
        self._log: list[Delivery] = []
        self._worker: threading.Thread | None = None

    def enqueue(self, event: StripeObject) -> None:
        payload = json.dumps(event, indent=2)
        self._jobs.put(_Job(self._generation, event["id"], event["type"], payload))
        with self._lock:
            if self._worker is None:
                self._worker = threading.Thread(
                    target=self._run, name="stripe-sim-webhooks", daemon=True
                )
                self._worker.start()

    def deliveries(self) -> list[dict[str, object]]:
        with self._lock:
            return [asdict(d) for d in self._log]

    def clear(self) -> None:
        """Forget the log and drop every delivery not yet made (after a reset)."""
        with self._lock:
            self._generation += 1
        with self._sending, self._lock:  # waits out an attempt already on the wire
            self._log.clear()

    def _run(self) -> None:
        with httpx.Client(timeout=self._timeout) as http:  # only this thread uses it
            while True:
                self._deliver(http, self._jobs.get())

    def _deliver(self, http: httpx.Client, job: _Job) -> None:
        for attempt in range(1, self._attempts + 1):
            with self._sending:
                if job.generation != self._generation:
                    return
                status, error = self._post(http, job)
                with self._lock:
                    at = datetime.now(UTC).isoformat()
                    delivery = Delivery(job.event_id, job.event_type, attempt, status, error, at)
                    self._log.append(delivery)
            if status is not None and 200 <= status < 300:
                return
            if attempt < self._attempts:
                time.sleep(self._backoff * 2 ** (attempt - 1))

    def _post(self, http: httpx.Client, job: _Job) -> tuple[int | None, str | None]:
        # Signed with wall-clock time, not the simulator clock: receivers check the timestamp
        # against their own clock (Stripe's tolerance is 300 s).
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            "Stripe-Signature": signature_header(job.payload, self._secret, int(time.time())),
        }
        try:
            response = http.post(self.url, content=job.payload.encode(), headers=headers)
        except httpx.HTTPError as exc:
            return None, f"{type(exc).__name__}: {exc}"
        return response.status_code, None
