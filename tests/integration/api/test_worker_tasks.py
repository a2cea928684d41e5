"""Tasks run in-process (the embedded default): dead letters and their retry through the API,
enqueueing only after commit, the request id carried into the task, bounded jittered backoff."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import structlog
from sqlalchemy import select

from payymo.http import AppServices
from payymo.jobs.models import JobRun, JobStatus
from payymo.worker import base
from payymo.worker.base import payymo_task
from payymo.worker.enqueue import after_commit, send
from tests.integration.api.conftest import Api, new_member
from tests.integration.api.helpers import ok, problem

FLAKY = "tests.worker.flaky"
PROBE = "tests.worker.probe"
state: dict[str, Any] = {"fail": True, "calls": [], "context": None}


@payymo_task(FLAKY, queue="default")
def flaky(app: AppServices, tenant_id: uuid.UUID | None, ids: list[str]) -> dict[str, Any]:
    state["calls"].append((tenant_id, ids))
    if state["fail"]:
        raise ValueError("the flaky task failed")
    return {"ok": True}


@payymo_task(PROBE, queue="default")
def probe(app: AppServices, tenant_id: uuid.UUID | None, ids: list[str]) -> None:
    state["context"] = dict(structlog.contextvars.get_contextvars())


@pytest.fixture(autouse=True)
def _reset() -> None:
    state.update(fail=True, calls=[], context=None)


def _jobs(api: Api, tenant_id: uuid.UUID) -> list[JobRun]:
    with api.services.db.unit_of_work(tenant_id) as session:
        return list(
            session.scalars(
                select(JobRun).where(JobRun.tenant_id == tenant_id, JobRun.kind == FLAKY)
            )
        )


def test_a_failed_task_is_a_dead_letter_that_the_api_retries(sqlite_api: Api) -> None:
    owner = new_member(sqlite_api)
    with sqlite_api.app.app_context():
        send(FLAKY, owner.tenant_id, ["a", "b"])
    [dead] = _jobs(sqlite_api, owner.tenant_id)
    assert dead.status is JobStatus.DEAD
    assert dead.error == "the flaky task failed"
    assert dead.params == {"task": FLAKY, "ids": ["a", "b"]}
    shown = ok(sqlite_api.client().get(f"/api/v1/jobs/{dead.id}", headers=owner.headers()))
    assert shown["status"] == "dead"

    state["fail"] = False
    url = f"/api/v1/jobs/{dead.id}/retry"
    ok(sqlite_api.client().post(url, headers=owner.headers()), 202)
    [retried] = _jobs(sqlite_api, owner.tenant_id)
    assert retried.id == dead.id
    assert retried.status is JobStatus.SUCCEEDED
    assert state["calls"][-1] == (owner.tenant_id, ["a", "b"])
    problem(sqlite_api.client().post(url, headers=owner.headers()), 409, "conflict")


def test_a_task_is_sent_only_when_its_transaction_commits(sqlite_api: Api) -> None:
    owner = new_member(sqlite_api)

    def roll_back() -> None:
        with sqlite_api.services.db.unit_of_work(owner.tenant_id) as session:
            after_commit(session, PROBE, owner.tenant_id)
            raise RuntimeError("rolled back")

    with sqlite_api.app.app_context():
        with pytest.raises(RuntimeError):
            roll_back()
        assert state["context"] is None
        with sqlite_api.services.db.unit_of_work(owner.tenant_id) as session:
            after_commit(session, PROBE, owner.tenant_id)
            assert state["context"] is None  # not before the commit
    assert state["context"] is not None


def test_the_request_id_travels_into_the_task(sqlite_api: Api) -> None:
    owner = new_member(sqlite_api)
    structlog.contextvars.bind_contextvars(request_id="req-travels")
    try:
        with sqlite_api.app.app_context():
            send(PROBE, owner.tenant_id)
        assert state["context"]["request_id"] == "req-travels"
        assert state["context"]["tenant_id"] == str(owner.tenant_id)
        # The caller's own context is back once an in-process task is done.
        assert structlog.contextvars.get_contextvars()["request_id"] == "req-travels"
    finally:
        structlog.contextvars.clear_contextvars()


def test_backoff_grows_with_jitter_and_a_cap() -> None:
    for retries in range(12):
        waits = {round(base.backoff_seconds(retries), 3) for _ in range(20)}
        ceiling = min(30 * 2**retries, 900)
        assert all(ceiling / 2 <= w <= ceiling for w in waits)
        assert len(waits) > 1  # jitter: retries of many tasks do not line up


def test_a_released_savepoint_is_not_the_commit(sqlite_api: Api) -> None:
    owner = new_member(sqlite_api)
    with sqlite_api.app.app_context():
        with sqlite_api.services.db.unit_of_work(owner.tenant_id) as session:
            after_commit(session, PROBE, owner.tenant_id)
            session.begin_nested().commit()
            assert state["context"] is None  # the outer transaction has not committed yet
        assert state["context"] is not None
