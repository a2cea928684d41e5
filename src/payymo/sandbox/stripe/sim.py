"""One simulator instance: its state behind a lock, its clock and its webhook endpoint."""

from __future__ import annotations

import pickle
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from payymo.sandbox.common import SimClock
from payymo.sandbox.stripe.payouts import settle
from payymo.sandbox.stripe.seed import build_state
from payymo.sandbox.stripe.state import StripeState
from payymo.sandbox.stripe.webhooks import WebhookDispatcher


class StripeSimulator:
    """Serialises every read and write of the state; the HTTP server is threaded."""

    def __init__(
        self, *, seed: int, clock: SimClock, world_day: date, webhooks: WebhookDispatcher | None
    ) -> None:
        self.seed = seed
        self.clock = clock
        self.world_day = world_day
        self.webhooks = webhooks
        self._lock = threading.RLock()
        self._state = self._seeded()

    def _seeded(self) -> StripeState:
        state = build_state(self.seed, self.world_day)
        state.pending_webhooks = 1 if self.webhooks else 0
        return state

    def now(self) -> int:
        return int(self.clock.now().timestamp())

    @contextmanager
    def session(
        self, *, request_id: str | None = None, idempotency_key: str | None = None
    ) -> Iterator[StripeState]:
        """The state, brought up to the clock; events it emits go to the webhook afterwards."""
        with self._lock:
            state = self._state
            state.request = (request_id, idempotency_key)
            try:
                settle(state, self.now())
                yield state
            finally:
                state.request = (None, None)
                self._flush(state)

    def _flush(self, state: StripeState) -> None:
        events, state.outbox = state.outbox, []
        if self.webhooks:
            for event in events:
                self.webhooks.enqueue(event)

    def export(self) -> bytes:
        with self._lock:
            return pickle.dumps(self._state, protocol=pickle.HIGHEST_PROTOCOL)

    def restore(self, state: object) -> None:
        if not isinstance(state, StripeState):
            raise TypeError(f"expected a StripeState, got {type(state).__name__}")
        with self._lock:
            self._state = state

    def reset(self) -> None:
        with self._lock:
            self._state = self._seeded()
        if self.webhooks:
            self.webhooks.clear()

    def dump_state(self) -> dict[str, Any]:
        with self.session() as state:
            dumped = state.dump()
        dumped["webhooks"] = {
            "url": self.webhooks.url if self.webhooks else None,
            "deliveries": len(self.webhooks.deliveries()) if self.webhooks else 0,
        }
        return dumped
