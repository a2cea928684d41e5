"""Maintenance tasks: consent-expiry notices once per threshold, retention, the backup hook."""

from __future__ import annotations

import sys
from datetime import timedelta

from sqlalchemy import select

from payymo.banking.models import BankConnection, RequisitionStatus
from payymo.events.models import Event
from payymo.invoicing.models import ConnectionStatus
from payymo.jobs.models import JobRun, JobStatus
from payymo.worker.enqueue import send
from payymo.worker.schedule import BACKUP, CLEANUP, CONSENTS
from tests.integration.api.conftest import Api, build_api, new_member


def _events(api: Api, tenant_id: object) -> list[Event]:
    with api.services.db.unit_of_work() as session:
        return list(
            session.scalars(
                select(Event).where(
                    Event.tenant_id == tenant_id, Event.type == "connection.expiring"
                )
            )
        )


def test_an_expiring_consent_is_announced_seven_days_and_one_day_before(sqlite_api: Api) -> None:
    owner = new_member(sqlite_api)
    now = sqlite_api.clock.now()
    with sqlite_api.services.db.unit_of_work(owner.tenant_id) as session:
        session.add(
            BankConnection(
                tenant_id=owner.tenant_id,
                institution_id="SANDBOXFINANCE_SFIN0000",
                reference="ref-expiring",
                requisition_status=RequisitionStatus.LINKED,
                status=ConnectionStatus.ACTIVE,
                consent_expires_at=now + timedelta(days=10),
            )
        )
    with sqlite_api.app.app_context():
        send(CONSENTS, owner.tenant_id)
        assert _events(sqlite_api, owner.tenant_id) == []  # ten days out: not yet
        sqlite_api.clock.advance(days=4)
        send(CONSENTS, owner.tenant_id)
        send(CONSENTS, owner.tenant_id)
        assert len(_events(sqlite_api, owner.tenant_id)) == 1
        sqlite_api.clock.advance(days=5, hours=12)
        send(CONSENTS, owner.tenant_id)
        send(CONSENTS, owner.tenant_id)
    notices = _events(sqlite_api, owner.tenant_id)
    assert sorted(e.payload["days_left"] for e in notices) == [0, 6]


def test_cleanup_keeps_recent_and_unfinished_jobs(sqlite_api: Api) -> None:
    owner = new_member(sqlite_api)
    with sqlite_api.services.db.unit_of_work(owner.tenant_id) as session:
        for status in (JobStatus.SUCCEEDED, JobStatus.DEAD):
            session.add(
                JobRun(
                    tenant_id=owner.tenant_id,
                    kind=f"old-{status}",
                    status=status,
                    created_at=sqlite_api.clock.now(),
                )
            )
    sqlite_api.clock.advance(days=91)
    with sqlite_api.services.db.unit_of_work(owner.tenant_id) as session:
        session.add(
            JobRun(
                tenant_id=owner.tenant_id,
                kind="recent",
                status=JobStatus.SUCCEEDED,
                created_at=sqlite_api.clock.now() - timedelta(days=1),
            )
        )
    with sqlite_api.app.app_context():
        send(CLEANUP, owner.tenant_id)
    with sqlite_api.services.db.unit_of_work(owner.tenant_id) as session:
        kinds = set(session.scalars(select(JobRun.kind).where(JobRun.tenant_id == owner.tenant_id)))
    assert kinds == {"old-dead", "recent"}  # dead letters wait for a person


def test_the_backup_hook_runs_the_configured_command(tmp_path: object, sqlite_url: str) -> None:
    marker = f"{tmp_path}/backup-ran"
    command = f"{sys.executable} -c \"open('{marker}', 'w').write('ok')\""
    api = build_api(sqlite_url, backup_command=command)
    owner = new_member(api)
    with api.app.app_context():
        send(BACKUP, owner.tenant_id)
    with open(marker) as handle:
        assert handle.read() == "ok"
