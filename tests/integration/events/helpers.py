"""A webhook receiver on loopback, and shortcuts to arrange endpoints, channels and events."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from payymo.audit.services import Actor
from payymo.events import services
from payymo.events.delivery_models import Delivery
from payymo.events.dispatch import dispatch
from payymo.events.models import Event, EventType
from payymo.events.outcomes import DispatchRun
from payymo.sandbox.common import SimServer
from tests.integration.api.conftest import Api

ACTOR = Actor.system("test")
POSTING_FAILED = {
    "posting_id": "6f1c1d8e-0000-4000-8000-000000000001",
    "whmcs_invoice_id": 1001,
    "transid": "payymo-abc",
    "amount": "45.00",
    "currency": "EUR",
    "error": "WHMCS answered 503",
    "will_retry": True,
}
NEEDS_REVIEW = {
    "decision_id": "6f1c1d8e-0000-4000-8000-000000000002",
    "bank_transaction_id": "6f1c1d8e-0000-4000-8000-000000000003",
    "confidence": 0.62,
    "reasons": ["amount matches invoice #1002", "payer name differs"],
}


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


class Receiver:
    """Records every request; answers the statuses queued in `answers`, then `default`."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.answers: list[int] = []
        self.default = 200
        self.delay = 0.0
        self._lock = threading.Lock()
        self._server = SimServer(self._wsgi)

    @property
    def url(self) -> str:
        return self._server.url

    def __enter__(self) -> Receiver:
        self._server.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.stop()

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        headers = {
            key[5:].replace("_", "-").title(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        headers["Content-Type"] = environ.get("CONTENT_TYPE", "")
        with self._lock:
            self.received.append(Received(environ["PATH_INFO"], headers, body))
            status = self.answers.pop(0) if self.answers else self.default
        time.sleep(self.delay)
        start_response(f"{status} Answer", [("Content-Type", "text/plain")])
        return [b"thanks" if status < 300 else b"the receiver refused it"]


def add_endpoint(
    api: Api, tenant_id: uuid.UUID, url: str, events: Iterable[EventType] = ()
) -> services.EndpointWithSecret:
    return services.create_endpoint(
        api.services,
        tenant_id=tenant_id,
        actor=ACTOR,
        url=url,
        events=list(events),
        description="test receiver",
        is_active=True,
    )


def add_channel(
    api: Api, tenant_id: uuid.UUID, kind: str, target: str, events: Iterable[EventType] = ()
) -> uuid.UUID:
    shown = services.create_channel(
        api.services,
        tenant_id=tenant_id,
        actor=ACTOR,
        kind=kind,  # type: ignore[arg-type]
        target=target,
        events=list(events),
        is_active=True,
    )
    return shown.channel.id


def add_event(
    api: Api,
    tenant_id: uuid.UUID,
    type: EventType = EventType.POSTING_FAILED,
    payload: dict[str, Any] | None = None,
) -> uuid.UUID:
    """An undispatched event, written without `emit` (which would dispatch it at once)."""
    with api.services.db.unit_of_work(tenant_id) as session:
        event = Event(
            tenant_id=tenant_id,
            type=type.value,
            key=f"test:{uuid.uuid4()}",
            payload=dict(
                payload
                or (NEEDS_REVIEW if type is EventType.MATCH_NEEDS_REVIEW else POSTING_FAILED)
            ),
        )
        session.add(event)
        session.flush()
        return event.id


def run_dispatch(api: Api, tenant_id: uuid.UUID) -> DispatchRun:
    return dispatch(api.services, tenant_id=tenant_id)


def deliveries(api: Api, tenant_id: uuid.UUID) -> list[Delivery]:
    with api.services.db.unit_of_work(tenant_id) as session:
        return list(
            session.scalars(
                select(Delivery)
                .where(Delivery.tenant_id == tenant_id)
                .order_by(Delivery.created_at, Delivery.id)
            )
        )
