"""Outbound webhooks: events reach the tenant's endpoints signed, failures are retried with
backoff until dead, and no event is sent twice (by a second run, concurrent or not)."""

from __future__ import annotations

import json
import re
import threading
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

from payymo.events import services
from payymo.events.delivery_models import DeliveryStatus
from payymo.events.emit import emit
from payymo.events.models import Event, EventType
from payymo.events.outcomes import MAX_ATTEMPTS
from payymo.events.signing import verify
from payymo.settings import PROJECT_ROOT
from tests.integration.api.conftest import Api, new_member
from tests.integration.api.helpers import ok
from tests.integration.events.helpers import (
    ACTOR,
    POSTING_FAILED,
    Receiver,
    add_endpoint,
    add_event,
    deliveries,
    run_dispatch,
)


def test_an_emitted_event_reaches_the_endpoint_signed(api: Api, receiver: Receiver) -> None:
    owner = new_member(api)
    endpoint = add_endpoint(api, owner.tenant_id, f"{receiver.url}/payymo")
    with api.services.db.unit_of_work(owner.tenant_id) as session:
        event = emit(
            session,
            tenant_id=owner.tenant_id,
            type=EventType.POSTING_FAILED,
            key="posting.failed:1",
            payload=POSTING_FAILED,
        )
        assert event is not None
    # Dispatched in-process once the transaction committed.
    [request] = receiver.received
    assert request.path == "/payymo"
    assert request.headers["Content-Type"] == "application/json"
    assert verify(
        endpoint.secret,
        body=request.body,
        timestamp=request.headers["Payymo-Timestamp"],
        signature_header=request.headers["Payymo-Signature"],
        now=int(api.clock.now().timestamp()),
    )
    assert not verify(
        "whsec_someone-else",
        body=request.body,
        timestamp=request.headers["Payymo-Timestamp"],
        signature_header=request.headers["Payymo-Signature"],
        now=int(api.clock.now().timestamp()),
    )
    body = json.loads(request.body)
    assert body == {
        "id": str(event.id),
        "type": "posting.failed",
        "created_at": event.created_at.isoformat(),
        "data": POSTING_FAILED,
    }
    assert request.headers["Payymo-Event-Id"] == str(event.id)
    url = f"/api/v1/webhook-endpoints/{endpoint.endpoint.id}/deliveries"
    [logged] = ok(api.client().get(url, headers=owner.headers()))["data"]
    assert logged["status"] == "delivered"
    assert logged["response_status"] == 200
    assert logged["attempts"] == 1
    assert logged["event_type"] == "posting.failed"


def test_a_failing_endpoint_is_retried_with_backoff_until_dead(
    api: Api, receiver: Receiver
) -> None:
    owner = new_member(api)
    add_endpoint(api, owner.tenant_id, receiver.url)
    receiver.default = 500
    add_event(api, owner.tenant_id)

    run_dispatch(api, owner.tenant_id)
    [failed] = deliveries(api, owner.tenant_id)
    assert failed.status is DeliveryStatus.FAILED
    assert (failed.attempts, failed.response_status) == (1, 500)
    assert failed.error == "HTTP 500: the receiver refused it"
    now = api.clock.now()
    assert failed.next_attempt_at is not None
    assert now + timedelta(seconds=15) <= failed.next_attempt_at <= now + timedelta(seconds=30)

    run_dispatch(api, owner.tenant_id)  # not due yet
    assert len(receiver.received) == 1

    for attempt in range(2, MAX_ATTEMPTS):
        api.clock.advance(hours=1, seconds=1)
        run_dispatch(api, owner.tenant_id)
        [retried] = deliveries(api, owner.tenant_id)
        assert (retried.status, retried.attempts) == (DeliveryStatus.FAILED, attempt)
        ceiling = timedelta(seconds=min(30 * 2 ** (attempt - 1), 3600))
        assert retried.next_attempt_at is not None
        wait = retried.next_attempt_at - api.clock.now()
        assert ceiling / 2 <= wait <= ceiling

    api.clock.advance(hours=1, seconds=1)
    run_dispatch(api, owner.tenant_id)
    [dead] = deliveries(api, owner.tenant_id)
    assert (dead.status, dead.attempts, dead.next_attempt_at) == (
        DeliveryStatus.DEAD,
        MAX_ATTEMPTS,
        None,
    )
    assert dead.response_status == 500
    api.clock.advance(hours=2)
    run_dispatch(api, owner.tenant_id)
    assert len(receiver.received) == MAX_ATTEMPTS


def test_a_recovered_endpoint_gets_the_retry(api: Api, receiver: Receiver) -> None:
    owner = new_member(api)
    add_endpoint(api, owner.tenant_id, receiver.url)
    receiver.answers = [503]
    event_id = add_event(api, owner.tenant_id)
    run_dispatch(api, owner.tenant_id)
    api.clock.advance(minutes=1)
    run_dispatch(api, owner.tenant_id)
    [delivered] = deliveries(api, owner.tenant_id)
    assert (delivered.status, delivered.attempts) == (DeliveryStatus.DELIVERED, 2)
    assert delivered.error is None
    assert delivered.delivered_at == api.clock.now()
    assert [json.loads(r.body)["id"] for r in receiver.received] == [str(event_id)] * 2


def test_an_endpoint_that_does_not_answer_is_called_once_per_run(api: Api) -> None:
    owner = new_member(api)
    with Receiver() as gone:
        url = gone.url
    add_endpoint(api, owner.tenant_id, url)
    for _ in range(3):
        add_event(api, owner.tenant_id)
    run = run_dispatch(api, owner.tenant_id)
    assert (run.events, run.failed, run.delivered) == (3, 3, 0)
    found = deliveries(api, owner.tenant_id)
    assert {(d.status, d.attempts, d.response_status) for d in found} == {
        (DeliveryStatus.FAILED, 1, None)
    }
    assert all(d.error and d.error.startswith("ConnectError") for d in found)


def test_two_dispatch_runs_at_once_send_each_event_once(api: Api, receiver: Receiver) -> None:
    owner = new_member(api)
    add_endpoint(api, owner.tenant_id, receiver.url)
    events = {str(add_event(api, owner.tenant_id)) for _ in range(6)}
    receiver.delay = 0.05
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def run() -> None:
        start.wait()
        try:
            run_dispatch(api, owner.tenant_id)
        except BaseException as exc:
            errors.append(exc)
            raise

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    sent = [json.loads(r.body)["id"] for r in receiver.received]
    assert sorted(sent) == sorted(events)
    found = deliveries(api, owner.tenant_id)
    assert {(d.status, d.attempts) for d in found} == {(DeliveryStatus.DELIVERED, 1)}

    run_dispatch(api, owner.tenant_id)  # and once more, later: nothing left to send
    assert len(receiver.received) == len(events)


def test_posting_failed_twice_for_one_posting_is_one_delivery(api: Api, receiver: Receiver) -> None:
    owner = new_member(api)
    add_endpoint(api, owner.tenant_id, receiver.url)
    for _ in range(2):
        with api.services.db.unit_of_work(owner.tenant_id) as session:
            emit(
                session,
                tenant_id=owner.tenant_id,
                type=EventType.POSTING_FAILED,
                key="posting.failed:same-posting",
                payload=POSTING_FAILED,
            )
    run_dispatch(api, owner.tenant_id)
    assert len(receiver.received) == 1
    [delivered] = deliveries(api, owner.tenant_id)
    assert delivered.status is DeliveryStatus.DELIVERED


def test_fanning_an_event_out_again_adds_no_second_delivery(api: Api, receiver: Receiver) -> None:
    owner = new_member(api)
    add_endpoint(api, owner.tenant_id, receiver.url)
    event_id = add_event(api, owner.tenant_id)
    run_dispatch(api, owner.tenant_id)
    with api.services.db.unit_of_work(owner.tenant_id) as session:
        event = session.get(Event, event_id)
        assert event is not None
        event.dispatched_at = None  # as if the run had crashed before marking it
    run = run_dispatch(api, owner.tenant_id)
    assert run.events == 1
    assert len(deliveries(api, owner.tenant_id)) == 1
    assert len(receiver.received) == 1


def test_an_endpoint_gets_only_the_event_types_it_chose(api: Api, receiver: Receiver) -> None:
    owner = new_member(api)
    add_endpoint(api, owner.tenant_id, receiver.url, events=[EventType.SYNC_FAILED])
    add_event(api, owner.tenant_id, EventType.POSTING_FAILED)
    add_event(api, owner.tenant_id, EventType.SYNC_FAILED, {"sync": "whmcs", "error": "down"})
    run = run_dispatch(api, owner.tenant_id)
    assert (run.events, run.delivered) == (2, 1)
    [request] = receiver.received
    assert json.loads(request.body)["type"] == "sync.failed"


def test_a_deactivated_endpoints_waiting_deliveries_are_dropped(
    api: Api, receiver: Receiver
) -> None:
    owner = new_member(api)
    endpoint = add_endpoint(api, owner.tenant_id, receiver.url)
    receiver.default = 500
    add_event(api, owner.tenant_id)
    run_dispatch(api, owner.tenant_id)
    services.update_endpoint(
        api.services,
        tenant_id=owner.tenant_id,
        actor=ACTOR,
        endpoint_id=endpoint.endpoint.id,
        is_active=False,
    )
    api.clock.advance(hours=1)
    run = run_dispatch(api, owner.tenant_id)
    assert run.dead == 1
    [dropped] = deliveries(api, owner.tenant_id)
    assert dropped.status is DeliveryStatus.DEAD
    assert dropped.error == "not sent: the target was deleted or deactivated"
    assert len(receiver.received) == 1


def test_a_rotated_secret_signs_the_next_delivery(api: Api, receiver: Receiver) -> None:
    owner = new_member(api)
    endpoint = add_endpoint(api, owner.tenant_id, receiver.url)
    rotated = services.rotate_secret(
        api.services, tenant_id=owner.tenant_id, actor=ACTOR, endpoint_id=endpoint.endpoint.id
    )
    add_event(api, owner.tenant_id)
    run_dispatch(api, owner.tenant_id)
    [request] = receiver.received
    headers = request.headers
    now = int(api.clock.now().timestamp())
    for secret, valid in ((rotated.secret, True), (endpoint.secret, False)):
        assert (
            verify(
                secret,
                body=request.body,
                timestamp=headers["Payymo-Timestamp"],
                signature_header=headers["Payymo-Signature"],
                now=now,
            )
            is valid
        )


def test_the_documented_verification_snippet_accepts_a_delivery(
    sqlite_api: Api, receiver: Receiver
) -> None:
    docs = (PROJECT_ROOT / "docs" / "webhooks.md").read_text()
    snippet = re.search(r"```python\n(.*?)```", docs, re.DOTALL)
    assert snippet is not None
    namespace: dict[str, Any] = {}
    exec(snippet[1], namespace)  # noqa: S102 - our own documentation's example
    namespace["time"] = SimpleNamespace(time=lambda: sqlite_api.clock.now().timestamp())
    owner = new_member(sqlite_api)
    endpoint = add_endpoint(sqlite_api, owner.tenant_id, receiver.url)
    add_event(sqlite_api, owner.tenant_id)
    run_dispatch(sqlite_api, owner.tenant_id)
    [request] = receiver.received
    signed = (request.headers["Payymo-Timestamp"], request.headers["Payymo-Signature"])
    verify_payymo = namespace["verify_payymo"]
    assert verify_payymo(endpoint.secret, request.body, *signed)
    assert not verify_payymo(endpoint.secret, request.body + b" ", *signed)
    assert not verify_payymo("whsec_another", request.body, *signed)
    sqlite_api.clock.advance(minutes=6)
    assert not verify_payymo(endpoint.secret, request.body, *signed)
