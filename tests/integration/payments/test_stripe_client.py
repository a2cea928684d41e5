"""The Stripe client over loopback against the simulator, through the official SDK."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import timedelta

import pytest

from payymo.integrations.errors import (
    ProviderAuthError,
    ProviderBadResponse,
    ProviderRateLimited,
    ProviderRejected,
    ProviderUnavailable,
)
from payymo.payments.stripe_client import StripeApiClient
from tests.integration.payments.conftest import RESTRICTED_KEY, SECRET_KEY, START, StripeSim


@pytest.fixture
def client(stripe_sim: StripeSim) -> Iterator[StripeApiClient]:
    with StripeApiClient(RESTRICTED_KEY, api_base=stripe_sim.url, timeout=5) as opened:
        yield opened


def test_verify_returns_the_account_id_for_secret_and_restricted_keys(
    stripe_sim: StripeSim,
) -> None:
    account_id = stripe_sim.state()["account"]["id"]
    for key in (SECRET_KEY, RESTRICTED_KEY):
        with StripeApiClient(key, api_base=stripe_sim.url) as client:
            assert client.verify() == account_id


def test_an_unknown_key_is_an_auth_error_that_does_not_quote_the_key(
    stripe_sim: StripeSim,
) -> None:
    key = "sk_test_51NotOurKeyAtAll9876"
    with StripeApiClient(key, api_base=stripe_sim.url) as client:
        with pytest.raises(ProviderAuthError) as caught:
            client.verify()
        assert "NotOurKey" not in repr(client)
    assert caught.value.status == 401
    assert "NotOurKey" not in str(caught.value)
    assert caught.value.__cause__ is None  # the SDK's error, which quotes the key, is dropped
    assert caught.value.__suppress_context__


def test_a_key_that_may_not_read_the_account_verifies_without_an_account_id(
    client: StripeApiClient, stripe_sim: StripeSim
) -> None:
    stripe_sim.fault("error", "/v1/account", status=403)
    assert client.verify() is None


def test_a_key_that_may_not_read_payouts_fails_verification_naming_them(
    client: StripeApiClient, stripe_sim: StripeSim
) -> None:
    stripe_sim.fault("error", "/v1/payouts", status=403)
    with pytest.raises(ProviderAuthError) as caught:
        client.verify()
    assert caught.value.status == 403
    assert "may not read payouts" in caught.value.message


def test_a_404_is_a_rejected_request(client: StripeApiClient, stripe_sim: StripeSim) -> None:
    stripe_sim.fault("error", "/v1/payouts", status=404)
    with pytest.raises(ProviderRejected) as caught:
        list(client.iter_payouts())
    assert caught.value.status == 404


def test_an_unknown_payout_filter_is_rejected_with_stripes_reason(
    client: StripeApiClient,
) -> None:
    with pytest.raises(ProviderRejected) as caught:
        list(client.iter_balance_transactions(payout="po_missing"))
    assert caught.value.status == 400
    assert "No such payout: 'po_missing'" in caught.value.message


def test_more_than_a_hundred_charges_are_walked_page_by_page_newest_first(
    client: StripeApiClient, stripe_sim: StripeSim
) -> None:
    for invoice_id in range(9001, 9102):
        stripe_sim.pay(invoice_id, "5.00")
    expected = [charge["id"] for charge in stripe_sim.state()["charges"]]
    walked = [charge["id"] for charge in client.iter_charges()]
    assert len(expected) > 100
    assert walked == expected


def test_charges_come_with_their_balance_transaction_and_payment_intent_expanded(
    client: StripeApiClient, stripe_sim: StripeSim
) -> None:
    ids = stripe_sim.pay(4711, "100.00")
    charge = next(client.iter_charges(created_gte=START))
    assert charge["id"] == ids["charge"]
    txn = charge["balance_transaction"]
    assert (txn["id"], txn["amount"], txn["fee"], txn["net"]) == (
        ids["balance_transaction"],
        10000,
        175,
        9825,
    )
    assert charge["payment_intent"]["metadata"] == {"whmcs_invoice_id": "4711"}


def test_created_gte_leaves_out_older_objects(
    client: StripeApiClient, stripe_sim: StripeSim
) -> None:
    old = stripe_sim.pay(9201, created=(START - timedelta(days=3)).isoformat())
    new = stripe_sim.pay(9202)
    since = START - timedelta(days=1)
    charges = {c["id"] for c in client.iter_charges(created_gte=since)}
    intents = {i["id"] for i in client.iter_payment_intents(created_gte=since)}
    assert (charges, intents) == ({new["charge"]}, {new["payment_intent"]})
    assert old["charge"] in {c["id"] for c in client.iter_charges()}


def test_payment_intents_carry_their_latest_charge_and_its_fee(
    client: StripeApiClient, stripe_sim: StripeSim
) -> None:
    ids = stripe_sim.pay(4712, "80.00")
    intent = next(client.iter_payment_intents(created_gte=START))
    assert intent["id"] == ids["payment_intent"]
    assert intent["latest_charge"]["balance_transaction"]["fee"] == 145


def test_a_payouts_balance_transactions_net_to_its_amount(client: StripeApiClient) -> None:
    payouts = list(client.iter_payouts())
    assert payouts
    for payout in payouts:
        rows = list(client.iter_balance_transactions(payout=payout["id"]))
        paid = [row for row in rows if row["type"] != "payout"]
        assert sum(row["net"] for row in paid) == payout["amount"]
        assert all(row["source"]["object"] == "charge" for row in paid)


def test_one_500_is_absorbed_by_the_sdks_retry(
    client: StripeApiClient, stripe_sim: StripeSim
) -> None:
    stripe_sim.fault("error", "/v1/payouts", times=1, status=500)
    assert len(list(client.iter_payouts())) == 3


def test_a_lasting_500_is_provider_unavailable(
    client: StripeApiClient, stripe_sim: StripeSim
) -> None:
    stripe_sim.fault("error", "/v1/payouts", times=None, status=500)
    with pytest.raises(ProviderUnavailable) as caught:
        list(client.iter_payouts())
    assert caught.value.status == 500
    assert caught.value.retryable


def test_a_429_is_provider_rate_limited(client: StripeApiClient, stripe_sim: StripeSim) -> None:
    stripe_sim.fault("rate_limit", "/v1/charges")
    with pytest.raises(ProviderRateLimited) as caught:
        list(client.iter_charges())
    assert (caught.value.status, caught.value.retry_at) == (429, None)


def test_a_malformed_body_is_a_bad_response(client: StripeApiClient, stripe_sim: StripeSim) -> None:
    stripe_sim.fault("malformed", "/v1/balance_transactions")
    with pytest.raises(ProviderBadResponse):
        list(client.iter_balance_transactions())


def test_an_unreachable_stripe_is_provider_unavailable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with (
        StripeApiClient(SECRET_KEY, api_base=f"http://127.0.0.1:{port}", timeout=1) as client,
        pytest.raises(ProviderUnavailable),
    ):
        list(client.iter_charges())
