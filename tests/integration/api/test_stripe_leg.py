"""The Stripe leg end to end: card payments synced from the Stripe simulator are matched on
Stripe's side and, with auto-posting on, posted to the WHMCS simulator with Stripe's fee in
`fees` and Stripe's id as `transid`, once; a payout's bank credit is never a customer payment."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from payymo import migrate
from payymo.banking.models import AccountSource, BankAccount, BankTransaction, TransactionStatus
from payymo.payments.models import StripeConnection, StripePayout
from payymo.reconciliation.models import Decision
from tests.integration.api.conftest import Api, new_member
from tests.integration.api.helpers import ok
from tests.integration.api.providers import (
    BASE,
    Providers,
    connect_everything,
    provider_api,
    reset_simulators,
)

AUTO_POST = {"matching": {"auto_post": True, "shadow_mode": False}}


def _whmcs_transactions(providers: Providers) -> list[dict[str, Any]]:
    return list(httpx.get(f"{providers.whmcs_url}/_sim/state").json()["transactions"])


def _turn_on_auto_posting(api: Api, headers: dict[str, str]) -> None:
    current = ok(api.client().get("/api/v1/settings", headers=headers))
    current["matching"].update(AUTO_POST["matching"])
    ok(api.client().put("/api/v1/settings", headers=headers, json=current))


def test_card_payments_are_posted_once_with_stripes_fee(
    tmp_path: Path, providers: Providers
) -> None:
    url = f"sqlite:///{tmp_path / 'stripe.db'}"
    migrate.upgrade(url)
    reset_simulators(providers)
    api = provider_api(url, providers)
    _, headers = connect_everything(api, providers)
    client = api.client()
    ok(client.post(f"{BASE}/whmcs/sync", headers=headers))
    ok(client.post(f"{BASE}/stripe/sync", headers=headers))
    _turn_on_auto_posting(api, headers)
    before = {t["transid"] for t in _whmcs_transactions(providers)}

    ok(client.post("/api/v1/reconciliation/run", headers=headers))
    posted = ok(client.post("/api/v1/reconciliation/post", headers=headers))
    assert posted["posted"] > 0
    assert posted["failed"] == 0
    new = [t for t in _whmcs_transactions(providers) if t["transid"] not in before]
    assert len(new) == posted["posted"]
    for payment in new:
        assert payment["gateway"] == "stripe"
        assert payment["transid"].startswith(("pi_", "ch_"))
        assert Decimal(payment["fees"]) > 0  # Stripe's fee, posted as WHMCS fees
    assert len({t["transid"] for t in new}) == len(new)

    # Running and posting again (and WHMCS refreshed) adds nothing.
    ok(client.post(f"{BASE}/whmcs/sync", headers=headers))
    ok(client.post("/api/v1/reconciliation/run", headers=headers))
    again = ok(client.post("/api/v1/reconciliation/post", headers=headers))
    assert again["posted"] == 0
    assert len(_whmcs_transactions(providers)) == len(before) + len(new)


def test_a_payouts_bank_credit_is_set_apart_from_customer_payments(sqlite_api: Api) -> None:
    owner = new_member(sqlite_api)
    t = owner.tenant_id
    with sqlite_api.services.db.unit_of_work(t) as session:
        account = BankAccount(
            tenant_id=t,
            source=AccountSource.UPLOAD,
            provider_account_id=f"a-{uuid.uuid4().hex[:6]}",
            name="Main",
            currency="EUR",
        )
        connection = StripeConnection(tenant_id=t, api_key_encrypted="x")
        session.add_all([account, connection])
        session.flush()
        credit = BankTransaction(
            tenant_id=t,
            account_id=account.id,
            provider_transaction_id="payout-credit",
            content_hash="payout-credit",
            status=TransactionStatus.BOOKED,
            booking_date=date(2026, 11, 21),
            transaction_date=date(2026, 11, 21),
            amount_minor=123_456,
            currency="EUR",
            remittance="PO REF 8812",  # the bank dropped the word STRIPE
            counterparty_name="",
        )
        payout = StripePayout(
            tenant_id=t,
            connection_id=connection.id,
            stripe_id="po_test_1",
            status="paid",
            currency="EUR",
            amount_minor=123_456,
            arrival_date=date(2026, 11, 20),
            created_at_provider=datetime(2026, 11, 18, tzinfo=UTC),
        )
        session.add_all([credit, payout])
        session.flush()
        credit_id, payout_id = credit.id, payout.id

    ok(sqlite_api.client().post("/api/v1/reconciliation/run", headers=owner.headers()))
    with sqlite_api.services.db.unit_of_work(t) as session:
        linked = session.get(StripePayout, payout_id)
        assert linked is not None
        assert linked.bank_transaction_id == credit_id
        decision = session.scalars(
            select(Decision).where(
                Decision.bank_transaction_id == credit_id, Decision.is_current.is_(True)
            )
        ).one()
        assert decision.status.value == "ignored"
        assert decision.reasons[0]["code"] == "stripe_payout"
