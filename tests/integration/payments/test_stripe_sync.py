"""Syncing Stripe into Payymo: payments with fees, payouts with their contents, incrementally."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import func, select

from payymo.audit.services import Actor
from payymo.errors import NotFound
from payymo.integrations.errors import ProviderAuthError, ProviderUnavailable
from payymo.invoicing.models import ConnectionStatus
from payymo.jobs.models import JobRun, JobStatus
from payymo.payments.connections import connect_stripe, get_stripe_connection
from payymo.payments.models import (
    StripeBalanceTransaction,
    StripePayment,
    StripePaymentKind,
    StripePayout,
)
from payymo.payments.sync import OVERLAP, StripeSyncResult, sync_stripe
from tests.integration.api.conftest import Api
from tests.integration.payments.conftest import RESTRICTED_KEY, START, StripeSim
from tests.integration.payments.stored import stored_text

MODELS = (StripePayment, StripePayout, StripeBalanceTransaction)


@pytest.fixture
def connected(api: Api, tenant_id: uuid.UUID) -> uuid.UUID:
    connect_stripe(
        api.services, tenant_id=tenant_id, actor=Actor.system("test"), api_key=RESTRICTED_KEY
    )
    return tenant_id


def rows(api: Api, tenant_id: uuid.UUID, model: Any) -> list[Any]:
    with api.services.db.unit_of_work(tenant_id) as session:
        return list(session.scalars(select(model).where(model.tenant_id == tenant_id)))


def counts(api: Api, tenant_id: uuid.UUID) -> dict[str, int]:
    with api.services.db.unit_of_work(tenant_id) as session:
        return {
            model.__tablename__: session.scalar(
                select(func.count()).select_from(model).where(model.tenant_id == tenant_id)
            )
            or 0
            for model in MODELS
        }


def jobs(api: Api, tenant_id: uuid.UUID) -> list[JobRun]:
    with api.services.db.unit_of_work(tenant_id) as session:
        query = select(JobRun).where(JobRun.tenant_id == tenant_id, JobRun.kind == "stripe_sync")
        return list(session.scalars(query.order_by(JobRun.created_at)))


def test_the_first_sync_stores_every_payment_with_its_fee_and_net(
    api: Api, connected: uuid.UUID, stripe_sim: StripeSim
) -> None:
    seeded = stripe_sim.state()
    steps: list[tuple[int, int]] = []
    result = sync_stripe(api.services, tenant_id=connected, progress=lambda *s: steps.append(s))
    txns = {t["id"]: t for t in seeded["balance_transactions"]}
    payments = {p.stripe_id: p for p in rows(api, connected, StripePayment)}
    assert set(payments) == {i["id"] for i in seeded["payment_intents"]}
    assert result.payments_added == len(payments) == len(seeded["charges"])
    for charge in seeded["charges"]:
        payment = payments[charge["payment_intent"]]
        txn = txns[charge["balance_transaction"]]
        assert payment.kind == StripePaymentKind.PAYMENT_INTENT
        assert payment.charge_id == charge["id"]
        assert (payment.amount_minor, payment.currency) == (charge["amount"], "EUR")
        assert (payment.fee_minor, payment.net_minor) == (txn["fee"], txn["net"])
        assert payment.fee_minor > 0
        assert payment.net_minor == payment.amount_minor - payment.fee_minor
        assert payment.balance_transaction_id == txn["id"]
        assert payment.metadata_ == charge["metadata"]  # {"whmcs_invoice_id": "..."}
        assert payment.payout_id == seeded["payout_of"][txn["id"]]
    assert steps == [(1, 4), (2, 4), (3, 4), (4, 4)]


def test_the_first_sync_stores_payouts_whose_contents_net_to_their_amount(
    api: Api, connected: uuid.UUID, stripe_sim: StripeSim
) -> None:
    seeded = stripe_sim.state()
    result = sync_stripe(api.services, tenant_id=connected)
    payouts = rows(api, connected, StripePayout)
    txns = rows(api, connected, StripeBalanceTransaction)
    payments = rows(api, connected, StripePayment)
    assert {p.stripe_id for p in payouts} == {p["id"] for p in seeded["payouts"]}
    assert result.balance_transactions_added == len(txns) == len(seeded["payout_of"])
    for payout in payouts:
        contents = [t for t in txns if t.payout_id == payout.stripe_id]
        (own,) = [t for t in contents if t.type == "payout"]
        assert (own.source_id, own.net_minor) == (payout.stripe_id, -payout.amount_minor)
        assert own.stripe_id == payout.balance_transaction_id
        assert sum(t.net_minor for t in contents if t.type != "payout") == payout.amount_minor
        paid = [p for p in payments if p.payout_id == payout.stripe_id]
        assert sum(p.net_minor for p in paid) == payout.amount_minor
        assert (payout.status, payout.reconciliation_status) == ("paid", "completed")
    assert get_stripe_connection(api.services, tenant_id=connected).last_synced_at == START


def test_a_second_sync_adds_and_changes_nothing(
    api: Api, connected: uuid.UUID, stripe_sim: StripeSim
) -> None:
    sync_stripe(api.services, tenant_id=connected)
    before = counts(api, connected)
    api.clock.advance(hours=1)
    again = sync_stripe(api.services, tenant_id=connected)
    assert counts(api, connected) == before
    assert again == StripeSyncResult(since=START - OVERLAP)
    assert [job.status for job in jobs(api, connected)] == [JobStatus.SUCCEEDED] * 2


def test_a_new_payment_and_its_payout_appear_after_a_resync(
    api: Api, connected: uuid.UUID, stripe_sim: StripeSim
) -> None:
    sync_stripe(api.services, tenant_id=connected)
    ids = stripe_sim.pay(4711, "100.00")
    stripe_sim.advance(days=3)
    api.clock.advance(days=3)
    (payout,) = stripe_sim.run_payouts()
    result = sync_stripe(api.services, tenant_id=connected)
    assert (result.payments_added, result.payouts_added) == (1, 1)
    assert result.balance_transactions_added == 2  # the charge and the payout's own
    payment = next(p for p in rows(api, connected, StripePayment) if p.charge_id == ids["charge"])
    assert (payment.stripe_id, payment.payout_id) == (ids["payment_intent"], payout["id"])
    assert (payment.amount_minor, payment.fee_minor, payment.net_minor) == (10000, 175, 9825)
    stored = next(p for p in rows(api, connected, StripePayout) if p.stripe_id == payout["id"])
    assert stored.amount_minor == payout["amount"] == payment.net_minor


def test_a_refund_of_an_older_charge_updates_what_was_refunded(
    api: Api, connected: uuid.UUID, stripe_sim: StripeSim
) -> None:
    sync_stripe(api.services, tenant_id=connected)
    oldest = stripe_sim.state()["charges"][-1]
    assert oldest["created"] < (START - OVERLAP).timestamp()  # outside the next sync's window
    stripe_sim.refund(oldest["id"], 100)
    result = sync_stripe(api.services, tenant_id=connected)
    payment = next(p for p in rows(api, connected, StripePayment) if p.charge_id == oldest["id"])
    assert payment.refunded_minor == 100
    assert payment.amount_minor == oldest["amount"]
    assert (result.payments_added, result.payments_updated) == (0, 1)


def test_no_card_or_billing_data_is_stored(
    api: Api, connected: uuid.UUID, stripe_sim: StripeSim
) -> None:
    ids = stripe_sim.pay(4711, "29.00", name="Anna Müller")
    charge = next(c for c in stripe_sim.state()["charges"] if c["id"] == ids["charge"])
    card = charge["payment_method_details"]["card"]
    sync_stripe(api.services, tenant_id=connected)
    stored = stored_text(api.services.db, connected)
    assert "whmcs_invoice_id" in stored  # the one metadata key that matching reads
    # Field names, and values too rare to turn up by chance in ids or ciphertext.
    for card_data in (
        "last4",
        "fingerprint",
        "exp_year",
        card["fingerprint"],
        charge["payment_method"],
    ):
        assert card_data not in stored
    for billing_data in ("billing_details", "Anna Müller", "payer4711@example.com"):
        assert billing_data not in stored


def test_a_500_storm_fails_the_job_and_leaves_stored_data_intact(
    api: Api, connected: uuid.UUID, stripe_sim: StripeSim
) -> None:
    sync_stripe(api.services, tenant_id=connected)
    before = counts(api, connected)
    new = stripe_sim.pay(4711, "10.00")
    stripe_sim.fault("error", "/v1/payouts", times=None, status=500)
    api.clock.advance(hours=1)
    with pytest.raises(ProviderUnavailable):
        sync_stripe(api.services, tenant_id=connected)
    assert counts(api, connected) == before
    assert new["charge"] not in {p.charge_id for p in rows(api, connected, StripePayment)}
    failed = jobs(api, connected)[-1]
    assert failed.status == JobStatus.FAILED
    assert "HTTP 500" in (failed.error or "")
    connection = get_stripe_connection(api.services, tenant_id=connected)
    assert connection.last_synced_at == START  # the next sync starts from the same point
    assert "HTTP 500" in (connection.last_error or "")


def test_a_key_stripe_no_longer_accepts_marks_the_connection_as_failing(
    api: Api, connected: uuid.UUID, stripe_sim: StripeSim
) -> None:
    stripe_sim.fault("error", "/v1/charges", status=401)
    with pytest.raises(ProviderAuthError):
        sync_stripe(api.services, tenant_id=connected)
    connection = get_stripe_connection(api.services, tenant_id=connected)
    assert connection.status == ConnectionStatus.ERROR
    assert "refused the API key" in (connection.last_error or "")
    sync_stripe(api.services, tenant_id=connected)  # the key works again: so does the sync
    connection = get_stripe_connection(api.services, tenant_id=connected)
    assert (connection.status, connection.last_error) == (ConnectionStatus.ACTIVE, None)


def test_a_tenant_without_stripe_cannot_sync(api: Api, tenant_id: uuid.UUID) -> None:
    with pytest.raises(NotFound):
        sync_stripe(api.services, tenant_id=tenant_id)
    assert [job.status for job in jobs(api, tenant_id)] == [JobStatus.FAILED]
