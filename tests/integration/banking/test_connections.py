"""Connecting a bank end to end: consent link, the bank's redirect back, accounts, renewal."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from payymo.audit.models import AuditEntry
from payymo.banking import connections
from payymo.banking.gocardless import GoCardlessClient
from payymo.banking.gocardless_responses import describe
from payymo.banking.models import (
    BankCallLedger,
    BankConnection,
    BankTransaction,
    ProviderCallScope,
    RequisitionStatus,
)
from payymo.banking.provider import provider_for
from payymo.banking.sync import sync_account
from payymo.errors import NotFound, ValidationFailed
from payymo.integrations.errors import ProviderBadResponse
from payymo.invoicing.models import ConnectionStatus
from payymo.masking import mask_iban
from tests.integration.api.conftest import build_api
from tests.integration.banking.conftest import (
    REDIRECT,
    SANDBOX,
    SECRET_ID,
    SECRET_KEY,
    START,
    Bank,
    Sim,
)


def audit_actions(bank: Bank) -> list[str]:
    with bank.app.db.unit_of_work(bank.tenant_id) as session:
        return list(
            session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.tenant_id == bank.tenant_id)
                .order_by(AuditEntry.created_at, AuditEntry.action)
            )
        )


def test_starting_a_connection_stores_the_consent_request_and_its_link(bank: Bank) -> None:
    connection = bank.start()
    assert connection.status is ConnectionStatus.PENDING
    assert connection.requisition_status is RequisitionStatus.CREATED
    assert connection.institution_name == "Sandbox Finance"
    assert (connection.max_historical_days, connection.access_valid_for_days) == (90, 180)
    assert connection.link
    assert connection.link.startswith(bank.sim.url)
    assert connection.agreement_id
    assert connection.requisition_id
    assert connection.reference.startswith("payymo-")
    assert "bank_connection.started" in audit_actions(bank)


def test_an_approved_consent_links_the_accounts_with_iban_currency_and_expiry(
    bank: Bank,
) -> None:
    connection = bank.connect()
    assert connection.status is ConnectionStatus.ACTIVE
    assert connection.requisition_status is RequisitionStatus.LINKED
    assert connection.linked_at is not None
    assert connection.consent_expires_at == connection.linked_at + timedelta(days=180)

    accounts = bank.accounts()
    seeded = {a["id"]: a for a in bank.sim.state()["accounts"]}
    assert [a.currency for a in accounts] == ["EUR", "GBP"]
    for account in accounts:
        assert account.connection_id == connection.id
        iban = seeded[account.provider_account_id]["iban"]
        assert account.iban == iban  # stored in full; responses mask it
        assert mask_iban(account.iban) == f"{iban[:4]} **** {iban[-4:]}"
        assert account.owner_name == "Demo Hosting Ltd"
        assert account.name == f"Business Account {account.currency}"
    assert audit_actions(bank).count("bank_account.linked") == 2
    assert "bank_connection.linked" in audit_actions(bank)
    with bank.app.db.unit_of_work(bank.tenant_id) as session:
        ledger = session.scalars(
            select(BankCallLedger).where(BankCallLedger.tenant_id == bank.tenant_id)
        ).all()
    assert {(e.scope, e.successes) for e in ledger} == {(ProviderCallScope.DETAILS, 1)}
    assert len(ledger) == 2  # one details call per new account


def test_completing_the_same_consent_twice_changes_nothing(bank: Bank) -> None:
    connection = bank.connect()
    before = audit_actions(bank)
    again = connections.complete_connection(
        bank.app, tenant_id=bank.tenant_id, actor=bank.actor, reference=connection.reference
    )
    assert again.id == connection.id
    assert len(bank.accounts()) == 2
    assert audit_actions(bank) == before


def test_a_rejected_consent_is_recorded_and_links_no_accounts(bank: Bank) -> None:
    started = bank.start()
    assert started.link is not None
    query = bank.sim.consent(started.link, "reject")
    assert query["error"] == ["UserCancelledSession"]
    connection = connections.complete_connection(
        bank.app, tenant_id=bank.tenant_id, actor=bank.actor, reference=query["ref"][0]
    )
    assert connection.status is ConnectionStatus.ERROR
    assert connection.requisition_status is RequisitionStatus.REJECTED
    assert connection.last_error
    assert "refused or cancelled" in connection.last_error
    assert bank.accounts() == []
    assert "bank_connection.rejected" in audit_actions(bank)


def test_an_expired_consent_is_recorded_as_expired(bank: Bank) -> None:
    connection = bank.connect()
    assert connection.requisition_id is not None
    bank.sim.force_status(connection.requisition_id, "EX")
    expired = connections.complete_connection(
        bank.app, tenant_id=bank.tenant_id, actor=bank.actor, reference=connection.reference
    )
    assert expired.status is ConnectionStatus.EXPIRED
    assert expired.requisition_status is RequisitionStatus.EXPIRED
    assert "bank_connection.expired" in audit_actions(bank)


def test_a_consent_expires_on_the_provider_clock_after_its_access_period(bank: Bank) -> None:
    connection = bank.connect()
    bank.advance(days=181)
    result = sync_account(bank.app, tenant_id=bank.tenant_id, account_id=bank.account().id)
    assert result.skipped_reason == "access_expired"
    found = connections.get_connection(
        bank.app, tenant_id=bank.tenant_id, connection_id=connection.id
    )
    assert found.status is ConnectionStatus.EXPIRED


def test_renewing_keeps_the_same_accounts_and_transactions(bank: Bank) -> None:
    old = bank.connect()
    accounts = {a.provider_account_id: a.id for a in bank.accounts()}
    eur = bank.account()
    first = sync_account(bank.app, tenant_id=bank.tenant_id, account_id=eur.id)
    assert old.requisition_id is not None
    bank.sim.force_status(old.requisition_id, "EX")

    renewal = connections.renew_connection(
        bank.app,
        tenant_id=bank.tenant_id,
        actor=bank.actor,
        connection_id=old.id,
        redirect_url=REDIRECT,
    )
    assert renewal.id != old.id
    assert renewal.institution_id == old.institution_id
    renewed = bank.finish(renewal)
    assert renewed.status is ConnectionStatus.ACTIVE

    after = bank.accounts()
    assert {a.provider_account_id: a.id for a in after} == accounts
    assert all(a.connection_id == renewal.id for a in after)
    again = sync_account(bank.app, tenant_id=bank.tenant_id, account_id=eur.id)
    assert (again.added, first.added) == (0, bank.count(BankTransaction))
    superseded = connections.get_connection(
        bank.app, tenant_id=bank.tenant_id, connection_id=old.id
    )
    assert superseded.status is ConnectionStatus.DISCONNECTED
    listed = connections.list_connections(bank.app, tenant_id=bank.tenant_id)
    assert {c.id for c in listed} == {old.id, renewal.id}
    assert "bank_connection.superseded" in audit_actions(bank)


def test_renewing_with_new_account_ids_keeps_the_same_accounts_and_transactions(
    bank: Bank,
) -> None:
    old = bank.connect()
    before = {a.id: a.provider_account_id for a in bank.accounts()}
    eur = bank.account()
    first = sync_account(bank.app, tenant_id=bank.tenant_id, account_id=eur.id)
    assert old.requisition_id is not None
    bank.sim.force_status(old.requisition_id, "EX")
    assert sorted(bank.sim.reissue_account_ids()) == sorted(before.values())

    renewal = connections.renew_connection(
        bank.app,
        tenant_id=bank.tenant_id,
        actor=bank.actor,
        connection_id=old.id,
        redirect_url=REDIRECT,
    )
    bank.finish(renewal)

    after = {a.id: a.provider_account_id for a in bank.accounts()}
    assert after.keys() == before.keys()  # the same BankAccount rows
    assert not set(after.values()) & set(before.values())  # under the bank's new ids
    assert set(after.values()) == {a["id"] for a in bank.sim.state()["accounts"]}
    assert all(a.connection_id == renewal.id for a in bank.accounts())
    assert audit_actions(bank).count("bank_account.reidentified") == 2
    assert audit_actions(bank).count("bank_account.linked") == 2  # from the first consent only

    again = sync_account(bank.app, tenant_id=bank.tenant_id, account_id=eur.id, manual=True)
    assert again.skipped_reason is None
    assert (again.added, first.added) == (0, bank.count(BankTransaction))
    superseded = connections.get_connection(
        bank.app, tenant_id=bank.tenant_id, connection_id=old.id
    )
    assert superseded.status is ConnectionStatus.DISCONNECTED


def test_a_malformed_provider_answer_stores_no_connection(bank: Bank) -> None:
    bank.sim.fault("malformed", "requisitions/", method="POST")
    with pytest.raises(ProviderBadResponse):
        bank.start()
    assert bank.count(BankConnection) == 0
    assert not [a for a in audit_actions(bank) if a.startswith("bank_")]


def test_a_malformed_account_answer_on_completion_stores_nothing(bank: Bank) -> None:
    started = bank.start()
    bank.sim.fault("malformed", "accounts/")
    with pytest.raises(ProviderBadResponse):
        bank.finish(started)
    assert bank.accounts() == []
    found = connections.get_connection(bank.app, tenant_id=bank.tenant_id, connection_id=started.id)
    assert found.status is ConnectionStatus.PENDING


def test_bad_input_is_refused_before_the_provider_is_asked(bank: Bank) -> None:
    with pytest.raises(ValidationFailed):
        connections.list_institutions(bank.app, country="GBR")
    with pytest.raises(ValidationFailed):
        connections.start_connection(
            bank.app,
            tenant_id=bank.tenant_id,
            actor=bank.actor,
            institution_id=SANDBOX,
            redirect_url="javascript:alert(1)",
        )
    with pytest.raises(NotFound):
        connections.complete_connection(
            bank.app, tenant_id=bank.tenant_id, actor=bank.actor, reference="payymo-unknown"
        )
    assert bank.transport.paths == []


def test_an_unknown_bank_is_a_field_error_that_names_it(bank: Bank) -> None:
    with pytest.raises(ValidationFailed) as refused:
        connections.start_connection(
            bank.app,
            tenant_id=bank.tenant_id,
            actor=bank.actor,
            institution_id="NOPE_NOPEGB00",
            redirect_url=REDIRECT,
        )
    assert refused.value.detail == "GoCardless has no bank with id 'NOPE_NOPEGB00'"
    [error] = refused.value.errors
    assert (error.field, error.code) == ("institution_id", "unknown_institution")
    assert "institutions?country=" in error.message
    assert bank.count(BankConnection) == 0


def test_a_provider_error_whose_detail_repeats_its_summary_says_it_once() -> None:
    said = describe(404, {"summary": "Not found.", "detail": "Not found.", "status_code": 404})
    assert said == "GoCardless answered 404: Not found."


def test_institutions_are_listed_for_a_country_in_either_case(bank: Bank) -> None:
    ids = [i.id for i in connections.list_institutions(bank.app, country="gb")]
    assert SANDBOX in ids
    assert "MONZO_MONZGB2L" in ids


def test_the_app_builds_its_gocardless_client_from_settings(sim: Sim, sqlite_url: str) -> None:
    api = build_api(
        sqlite_url,
        start=START,
        gocardless_base_url=sim.url,  # the host alone: the client adds /api/v2
        gocardless_secret_id=SECRET_ID,
        gocardless_secret_key=SECRET_KEY,
    )
    client = provider_for(api.services, "gocardless")
    assert isinstance(client, GoCardlessClient)
    assert provider_for(api.services, "gocardless") is client
    assert connections.list_institutions(api.services, country="de")
    api.services.db.dispose()
