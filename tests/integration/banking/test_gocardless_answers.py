"""Reading GoCardless answers: rate-limit headers, and transaction bodies from a fake bank."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from payymo.banking.gocardless_responses import retry_at
from payymo.banking.models import TransactionStatus
from payymo.banking.provider import UnreadableAnswer
from payymo.clock import FrozenClock
from tests.integration.banking.conftest import START, make_client


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        (
            {
                "X-RateLimit-Account-Success-Remaining": "0",
                "X-RateLimit-Account-Success-Reset": "120",
                "X-RateLimit-Reset": "5",
            },
            120,
        ),
        (
            {
                "X-RateLimit-Account-Success-Remaining": "2",
                "X-RateLimit-Account-Success-Reset": "120",
                "X-RateLimit-Reset": "5",
            },
            5,
        ),
        ({"X-RateLimit-Account-Success-Reset": "120", "X-RateLimit-Reset": "5"}, 5),
        ({"X-RateLimit-Reset": "42"}, 42),
        (
            {
                "HTTP_X_RATELIMIT_ACCOUNT_SUCCESS_REMAINING": "0",
                "HTTP_X_RATELIMIT_ACCOUNT_SUCCESS_RESET": "7",
            },
            7,
        ),
        ({"http_x_ratelimit_reset": "9"}, 9),
        ({"X-RateLimit-Account-Success-Remaining": "1", "Retry-After": "30"}, 30),
        ({"X-RateLimit-Account-Success-Reset": "120"}, 3600),  # the detail, not the account's
        ({}, 3600),  # from the detail: "Please try again in 3600 seconds"
    ],
)
def test_retry_at_uses_the_account_reset_only_when_no_calls_are_left(
    headers: dict[str, str], seconds: int
) -> None:
    body = {"detail": "The rate limit for this resource is 4/day. Please try again in 3600 seconds"}
    assert retry_at(httpx.Headers(headers), body, START) == START + timedelta(seconds=seconds)


def fake_gocardless(transactions: Any) -> Callable[[httpx.Request], httpx.Response]:
    """A bank answering every transactions call with `transactions`."""

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token/new/"):
            pair = {"access": "a.b.c", "access_expires": 3600, "refresh": "d.e.f"}
            return httpx.Response(200, json={**pair, "refresh_expires": 7200})
        return httpx.Response(200, content=json.dumps(transactions).encode())

    return answer


@pytest.mark.parametrize(
    "entry",
    [
        {"transactionAmount": {"amount": 12.5, "currency": "EUR"}},  # a float, not a string
        {"transactionAmount": {"amount": "1e3", "currency": "EUR"}},
        {"transactionAmount": {"amount": "1.001", "currency": "EUR"}},
        {"transactionAmount": {"amount": "9" * 28 + ".99", "currency": "EUR"}},  # beyond Decimal
        {"transactionAmount": {"amount": "5.00", "currency": "XXQ"}},
        {"transactionAmount": {"amount": "5.00", "currency": "EUR"}, "bookingDate": 1700000000},
        {"transactionAmount": {"amount": "5.00", "currency": "EUR"}, "debtorName": "A\x00B"},
        {"valueDate": "2026-11-20"},
        "not an object",
    ],
)
def test_an_entry_that_breaks_the_contract_is_quarantined_and_the_rest_kept(
    entry: Any, clock: FrozenClock
) -> None:
    good = {"transactionId": "T-1", "transactionAmount": {"amount": "5.00", "currency": "EUR"}}
    body = {"transactions": {"booked": [good, entry], "pending": []}}
    transport = httpx.MockTransport(fake_gocardless(body))
    client, _ = make_client("http://bank.test", clock, transport=transport)
    batch = client.transactions("acc", date_from=date(2026, 11, 1), date_to=START.date())
    assert [t.provider_id for t in batch.transactions] == ["T-1"]
    (bad,) = batch.quarantined
    assert (bad.status, bad.index) == (TransactionStatus.BOOKED, 1)
    assert bad.reason.startswith("GoCardless sent")
    assert batch.pending_complete


def test_a_quarantined_or_missing_pending_list_is_not_complete(clock: FrozenClock) -> None:
    amount = {"amount": "5.00", "currency": "EUR"}
    for lists, complete in (
        ({"booked": [], "pending": [{"transactionAmount": amount}]}, True),
        ({"booked": [], "pending": [{"transactionAmount": {"amount": "5.001"}}]}, False),
        ({"booked": []}, False),
    ):
        transport = httpx.MockTransport(fake_gocardless({"transactions": lists}))
        client, _ = make_client("http://bank.test", clock, transport=transport)
        batch = client.transactions("acc", date_from=date(2026, 11, 1), date_to=START.date())
        assert batch.pending_complete is complete


@pytest.mark.parametrize(
    "body",
    [b'{"transactions": {"booked": ', b'{"transactions": []}', b'{"transactions": {"booked": 5}}'],
)
def test_an_unreadable_transactions_body_is_an_error_that_carries_the_quota(
    body: bytes, clock: FrozenClock
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token/new/"):
            pair = {"access": "a.b.c", "access_expires": 3600, "refresh": "d.e.f"}
            return httpx.Response(200, json={**pair, "refresh_expires": 7200})
        quota = {
            "X-RateLimit-Account-Success-Limit": "4",
            "X-RateLimit-Account-Success-Remaining": "1",
        }
        return httpx.Response(200, content=body, headers=quota)

    client, _ = make_client("http://bank.test", clock, transport=httpx.MockTransport(answer))
    with pytest.raises(UnreadableAnswer) as caught:
        client.transactions("acc", date_from=date(2026, 11, 1), date_to=START.date())
    assert caught.value.status == 200
    assert (caught.value.quota.limit, caught.value.quota.remaining) == (4, 1)


def test_unknown_keys_are_ignored_and_remittance_falls_back_in_order(clock: FrozenClock) -> None:
    amount = {"amount": "5.00", "currency": "EUR"}
    booked = [
        {"transactionAmount": amount, "remittanceInformationUnstructuredArray": ["A", "B"]},
        {"transactionAmount": amount, "additionalInformation": "C", "someBankExtra": {"x": 1}},
    ]
    transport = httpx.MockTransport(fake_gocardless({"transactions": {"booked": booked}}))
    client, _ = make_client("http://bank.test", clock, transport=transport)
    batch = client.transactions("acc", date_from=date(2026, 11, 1), date_to=START.date())
    assert [t.remittance for t in batch.transactions] == ["A B", "C"]
    assert batch.transactions[1].raw["someBankExtra"] == {"x": 1}
