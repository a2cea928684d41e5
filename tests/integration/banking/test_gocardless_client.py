"""The GoCardless client against the simulator over loopback HTTP (and a few fake bodies)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from payymo.banking.gocardless import GoCardlessClient
from payymo.banking.models import RequisitionStatus, TransactionStatus
from payymo.clock import FrozenClock
from payymo.integrations.errors import (
    AccessExpired,
    ProviderAuthError,
    ProviderBadResponse,
    ProviderRateLimited,
    ProviderRejected,
    ProviderUnavailable,
)
from payymo.money import Money
from tests.integration.banking.conftest import (
    FAST_RETRY,
    REDIRECT,
    SANDBOX,
    SECRET_KEY,
    START,
    RecordingTransport,
    Sim,
    make_client,
)

DAY = 86_400


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def transport() -> RecordingTransport:
    return RecordingTransport()


@pytest.fixture
def sleeps() -> list[float]:
    """The retry delays the client asked for (recorded, not slept)."""
    return []


@pytest.fixture
def client(
    sim: Sim, clock: FrozenClock, transport: RecordingTransport, sleeps: list[float]
) -> Iterator[GoCardlessClient]:
    built, _ = make_client(sim.url, clock, transport=transport, sleeps=sleeps)
    yield built
    built.close()


def advance_both(sim: Sim, clock: FrozenClock, seconds: float) -> None:
    clock.advance(seconds=seconds)
    sim.advance(seconds)


def linked_account(client: GoCardlessClient, sim: Sim, currency: str = "EUR") -> str:
    agreement = client.create_agreement(
        institution_id=SANDBOX, max_historical_days=90, access_valid_for_days=30
    )
    requisition = client.create_requisition(
        institution_id=SANDBOX, agreement_id=agreement.id, redirect_url=REDIRECT, reference="r-1"
    )
    sim.consent(requisition.link, "approve")
    linked = client.requisition(requisition.id)
    return next(a for a in linked.account_ids if client.account_details(a).currency == currency)


def test_institutions_come_back_typed_with_day_counts_as_integers(client: GoCardlessClient) -> None:
    institutions = client.institutions(country="gb")
    sandbox = next(i for i in institutions if i.id == SANDBOX)
    assert (sandbox.transaction_total_days, sandbox.max_access_valid_for_days) == (90, 180)
    assert "GB" in sandbox.countries


def test_a_consent_request_is_created_and_links_accounts_after_approval(
    client: GoCardlessClient, sim: Sim
) -> None:
    agreement = client.create_agreement(
        institution_id=SANDBOX, max_historical_days=60, access_valid_for_days=30
    )
    assert (agreement.max_historical_days, agreement.accepted) == (60, None)
    requisition = client.create_requisition(
        institution_id=SANDBOX, agreement_id=agreement.id, redirect_url=REDIRECT, reference="r-9"
    )
    assert (requisition.status, requisition.reference) == (RequisitionStatus.CREATED, "r-9")
    assert sim.consent(requisition.link, "approve")["ref"] == ["r-9"]

    linked = client.requisition(requisition.id)
    assert linked.status is RequisitionStatus.LINKED
    assert len(linked.account_ids) == 2
    assert client.agreement(agreement.id).accepted is not None
    metadata = client.account_metadata(linked.account_ids[0])
    assert metadata.iban
    assert metadata.owner_name == "Demo Hosting Ltd"


def test_transactions_parse_amounts_as_money_and_resolve_the_counterparty(
    client: GoCardlessClient, sim: Sim
) -> None:
    account_id = linked_account(client, sim)
    sim.add(account_id, {"amount": "-12.30", "creditor_name": "Hetzner", "remittance": "R-7"})
    batch = client.transactions(account_id, date_from=date(2026, 9, 1), date_to=START.date())
    outgoing = next(t for t in batch.transactions if t.remittance == "R-7")
    assert outgoing.amount == Money(Decimal("-12.30"), "EUR")
    assert outgoing.counterparty_name == "Hetzner"
    assert outgoing.status is TransactionStatus.BOOKED
    assert outgoing.provider_id == outgoing.raw["internalTransactionId"]
    assert any(t.status is TransactionStatus.PENDING for t in batch.transactions)
    assert batch.quota.limit == 4
    assert batch.quota.remaining == 3  # each scope has its own quota


def test_an_expired_access_token_is_refreshed_and_an_expired_refresh_token_re_minted(
    client: GoCardlessClient, sim: Sim, clock: FrozenClock, transport: RecordingTransport
) -> None:
    client.institutions(country="de")
    advance_both(sim, clock, DAY + 60)
    client.institutions(country="de")
    assert (transport.count("/token/new/"), transport.count("/token/refresh/")) == (1, 1)

    advance_both(sim, clock, 31 * DAY)
    client.institutions(country="de")
    assert (transport.count("/token/new/"), transport.count("/token/refresh/")) == (2, 1)


def test_a_refused_refresh_falls_back_to_minting_a_new_pair(
    client: GoCardlessClient, sim: Sim, clock: FrozenClock, transport: RecordingTransport
) -> None:
    client.institutions(country="de")
    advance_both(sim, clock, DAY + 60)
    sim.fault("error", "token/refresh/", status=401)
    client.institutions(country="de")
    assert (transport.count("/token/new/"), transport.count("/token/refresh/")) == (2, 1)


def test_a_401_invalid_token_is_answered_by_minting_again_and_retrying_once(
    client: GoCardlessClient, sim: Sim, transport: RecordingTransport
) -> None:
    client.institutions(country="de")
    sim.advance(DAY + 60)  # only the provider's clock: our cached token still looks live
    assert client.institutions(country="de")
    assert [p.removeprefix("/api/v2/") for p in transport.paths] == [
        "token/new/",
        "institutions/",
        "institutions/",
        "token/new/",
        "institutions/",
    ]


def test_refused_secrets_are_an_auth_error_whose_message_holds_no_secret(
    sim: Sim, clock: FrozenClock
) -> None:
    client = GoCardlessClient(
        base_url=sim.url, secret_id="sim-secret-id", secret_key="not-" + SECRET_KEY,
        timeout=5, clock=clock, retry=FAST_RETRY, sleep=lambda _s: None,
    )  # fmt: skip
    with pytest.raises(ProviderAuthError) as caught:
        client.institutions(country="de")
    assert "Authentication failed" in caught.value.message
    assert "secret" not in str(caught.value).lower()
    assert SECRET_KEY not in repr(client)
    client.close()


def test_a_500_is_retried_and_then_succeeds(
    client: GoCardlessClient, sim: Sim, sleeps: list[float]
) -> None:
    sim.fault("error", "institutions/", status=500)
    assert client.institutions(country="de")
    assert len(sleeps) == 1


def test_persistent_500s_become_provider_unavailable_after_bounded_retries(
    client: GoCardlessClient, sim: Sim, transport: RecordingTransport, sleeps: list[float]
) -> None:
    sim.fault("error", "institutions/", status=503, times=None)
    with pytest.raises(ProviderUnavailable) as caught:
        client.institutions(country="de")
    assert caught.value.status == 503
    assert transport.count("/institutions/") == FAST_RETRY.attempts
    assert len(sleeps) == FAST_RETRY.attempts - 1


def test_an_answer_slower_than_the_timeout_is_provider_unavailable(
    sim: Sim, clock: FrozenClock
) -> None:
    client, _ = make_client(sim.url, clock, timeout=0.3)
    client.institutions(country="de")  # tokens first, so only the slow call times out
    sim.fault("latency", "institutions/", seconds=1.0, times=FAST_RETRY.attempts)
    with pytest.raises(ProviderUnavailable, match=r"did not answer within 0\.3 s"):
        client.institutions(country="de")
    client.close()


def test_one_timeout_is_retried_and_then_succeeds(sim: Sim, clock: FrozenClock) -> None:
    client, sleeps = make_client(sim.url, clock, timeout=0.3)
    sim.fault("latency", "institutions/", seconds=1.0, times=1)
    assert client.institutions(country="de")
    assert len(sleeps) == 1
    client.close()


def test_a_body_that_is_not_json_is_a_bad_response(client: GoCardlessClient, sim: Sim) -> None:
    sim.fault("malformed", "institutions/")
    with pytest.raises(ProviderBadResponse, match="not JSON"):
        client.institutions(country="de")


def test_a_429_for_the_used_up_account_quota_waits_until_the_banks_midnight(
    client: GoCardlessClient, sim: Sim, transport: RecordingTransport, sleeps: list[float]
) -> None:
    account_id = linked_account(client, sim)
    sim.spend_quota(account_id)
    with pytest.raises(ProviderRateLimited) as caught:
        client.transactions(account_id, date_from=date(2026, 11, 1), date_to=START.date())
    midnight = datetime(2026, 11, 27, tzinfo=UTC)
    assert caught.value.retry_at is not None
    assert abs(caught.value.retry_at - midnight) < timedelta(seconds=30)
    assert transport.count("/transactions/") == 1
    assert sleeps == []


def test_a_429_while_the_account_has_calls_left_waits_only_for_the_general_reset(
    client: GoCardlessClient, sim: Sim, transport: RecordingTransport
) -> None:
    account_id = linked_account(client, sim)
    sim.fault("rate_limit", "accounts/", times=FAST_RETRY.attempts)
    with pytest.raises(ProviderRateLimited) as caught:
        client.transactions(account_id, date_from=date(2026, 11, 1), date_to=START.date())
    assert caught.value.retry_at is not None
    assert START < caught.value.retry_at <= START + timedelta(seconds=60)  # a per-minute limit
    assert transport.count("/transactions/") >= 1


def test_an_expired_consent_is_access_expired_and_an_unknown_id_rejected(
    client: GoCardlessClient, sim: Sim
) -> None:
    account_id = linked_account(client, sim)
    requisition_id = sim.state()["requisitions"][0]["id"]
    sim.force_status(requisition_id, "EX")
    with pytest.raises(AccessExpired):
        client.transactions(account_id, date_from=date(2026, 11, 1), date_to=START.date())
    with pytest.raises(ProviderRejected) as caught:
        client.requisition("6f1d1c4e-0000-4000-8000-000000000000")
    assert caught.value.status == 404


def test_an_inverted_date_range_is_rejected_with_the_field_named(
    client: GoCardlessClient, sim: Sim
) -> None:
    account_id = linked_account(client, sim)
    with pytest.raises(ProviderRejected, match="date_from: Incorrect date range"):
        client.transactions(account_id, date_from=date(2026, 11, 20), date_to=date(2026, 11, 1))


def test_a_token_outage_makes_at_most_three_token_calls_per_request(
    client: GoCardlessClient, sim: Sim, transport: RecordingTransport
) -> None:
    sim.fault("error", "token/new/", status=503, times=None)
    with pytest.raises(ProviderUnavailable):
        client.institutions(country="de")
    assert transport.count("/token/new/") == FAST_RETRY.attempts
    with pytest.raises(ProviderUnavailable):
        client.create_agreement(
            institution_id=SANDBOX, max_historical_days=90, access_valid_for_days=30
        )
    assert transport.count("/token/new/") == 2 * FAST_RETRY.attempts
    assert transport.count("/agreements/enduser/") == 0


def test_a_refused_token_during_a_token_outage_is_not_re_minted_on_every_attempt(
    client: GoCardlessClient, sim: Sim, transport: RecordingTransport
) -> None:
    client.institutions(country="de")
    sim.advance(DAY + 60)  # only the provider's clock: our cached token still looks live
    sim.fault("error", "token/", status=503, times=None)  # minting and refreshing both down
    before = transport.count("/token/new/") + transport.count("/token/refresh/")
    with pytest.raises(ProviderUnavailable):
        client.institutions(country="de")
    token_calls = transport.count("/token/new/") + transport.count("/token/refresh/") - before
    assert token_calls <= FAST_RETRY.attempts
    assert transport.count("/institutions/") == 2  # the first call, then the refused token once
