"""The WHMCS client against the simulator over loopback HTTP: every action, quirk and failure."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from payymo.integrations.errors import (
    ProviderAuthError,
    ProviderBadResponse,
    ProviderError,
    ProviderRateLimited,
    ProviderRejected,
    ProviderUnavailable,
)
from payymo.integrations.retry import RetryPolicy
from payymo.invoicing.models import InvoiceStatus
from payymo.invoicing.whmcs import WhmcsClient, WhmcsCredentials
from payymo.sandbox.common import SimClock, SimServer
from payymo.sandbox.whmcs import create_app as create_simulator

from .conftest import IDENTIFIER, SECRET, START, Whmcs

FAST = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.02)


def client_on(url: str, *, secret: str = SECRET, **options: Any) -> WhmcsClient:
    credentials = WhmcsCredentials(
        url, IDENTIFIER, secret, access_key=options.pop("access_key", None)
    )
    return WhmcsClient(credentials, **{"timeout": 2.0, "retry": FAST, **options})


@pytest.fixture
def client(whmcs: Whmcs) -> Iterator[WhmcsClient]:
    with client_on(whmcs.url) as built:
        yield built


def client_answering(body: Any, status: int = 200) -> WhmcsClient:
    """A client whose WHMCS always answers `body`: for shapes the simulator never sends."""
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    transport = httpx.MockTransport(lambda _request: httpx.Response(status, content=content))
    return client_on("https://whmcs.example", transport=transport)


# --- reads -----------------------------------------------------------------------------------


def test_verify_names_the_admin_and_the_whmcs_version(client: WhmcsClient) -> None:
    identity = client.verify()

    assert (identity.admin_id, identity.name, identity.version) == (1, "Site Admin", "8.0.0")
    assert "API Access" in identity.allowed_permissions


def test_iter_invoices_yields_every_invoice_once_with_typed_fields(
    client: WhmcsClient, whmcs: Whmcs
) -> None:
    invoices = list(client.iter_invoices())

    assert [i.id for i in invoices] == sorted(i["id"] for i in whmcs.invoices())
    first = invoices[0]
    assert isinstance(first.total, Decimal)
    assert first.currency == "EUR"
    assert first.status is InvoiceStatus.UNPAID
    assert first.paid_at is None  # the zero date
    assert first.client_name == f"{first.raw['firstname']} {first.raw['lastname']}"


def test_iter_invoices_filters_by_status(client: WhmcsClient, whmcs: Whmcs) -> None:
    paid = list(client.iter_invoices(InvoiceStatus.PAID))

    assert {i.id for i in paid} == {i["id"] for i in whmcs.invoices("Paid")}
    assert all(i.paid_at is not None for i in paid)


def test_no_matching_invoices_arrive_as_a_bare_list_and_give_nothing(
    client: WhmcsClient,
) -> None:
    assert list(client.iter_invoices(InvoiceStatus.REFUNDED)) == []


def test_paging_ignores_numreturned_when_it_reports_the_total(
    client: WhmcsClient, whmcs: Whmcs
) -> None:
    whmcs.quirks(numreturned_is_total=True)

    assert len(list(client.iter_invoices())) == len(whmcs.invoices())


def test_paging_collects_every_page_when_whmcs_ignores_limitnum(
    client: WhmcsClient, whmcs: Whmcs
) -> None:
    whmcs.quirks(ignore_limitnum=True, numreturned_is_total=True)

    pages = list(client.iter_invoice_pages())

    assert [len(p.invoices) for p in pages] == [25, 25, 8]
    assert len({i.id for p in pages for i in p.invoices}) == len(whmcs.invoices()) == 58


def test_get_invoice_without_payments_reads_the_empty_string_as_no_transactions(
    client: WhmcsClient, whmcs: Whmcs
) -> None:
    invoice_id = whmcs.add_invoice(total="15.95")

    invoice = client.get_invoice(invoice_id)

    assert (invoice.total, invoice.balance, invoice.transactions) == (
        Decimal("15.95"),
        Decimal("15.95"),
        [],
    )


def test_get_invoice_after_a_partial_payment_has_the_lower_balance(
    client: WhmcsClient, whmcs: Whmcs
) -> None:
    invoice_id = whmcs.add_invoice(total="15.95")
    whmcs.pay(invoice_id, "5.00")

    invoice = client.get_invoice(invoice_id)

    assert (invoice.status, invoice.balance) == (InvoiceStatus.UNPAID, Decimal("10.95"))
    [payment] = invoice.transactions
    assert (payment.amount_in, payment.transid, payment.invoice_id) == (
        Decimal("5.00"),
        "PART-1",
        invoice_id,
    )


def test_an_unknown_invoice_is_rejected_although_whmcs_says_status_not_result(
    client: WhmcsClient,
) -> None:
    with pytest.raises(ProviderRejected, match="Invoice ID Not Found"):
        client.get_invoice(999999)


def test_get_transactions_finds_a_payment_by_transid_and_by_invoice(
    client: WhmcsClient, whmcs: Whmcs
) -> None:
    invoice_id = whmcs.add_invoice(total="9.99")
    whmcs.pay(invoice_id, "9.99", transid="TX-42")

    [by_transid] = client.get_transactions(transid="TX-42")
    [by_invoice] = client.get_transactions(invoice_id=invoice_id)

    assert by_transid == by_invoice
    assert (by_transid.amount_in, by_transid.fees, by_transid.client_id) == (
        Decimal("9.99"),
        Decimal("0.00"),
        1,
    )


def test_no_matching_transactions_come_without_the_key_and_give_an_empty_list(
    client: WhmcsClient,
) -> None:
    assert client.get_transactions(transid="never-posted") == []


def test_get_client_reads_the_client_object(client: WhmcsClient, whmcs: Whmcs) -> None:
    details = client.get_client(1)

    expected = next(c for c in whmcs.state()["clients"] if c["id"] == 1)
    assert (details.id, details.email, details.currency_code) == (
        1,
        expected["email"],
        expected["currency"],
    )
    assert details.credit == Decimal("0.00")


def test_an_unknown_client_is_rejected(client: WhmcsClient) -> None:
    with pytest.raises(ProviderRejected, match="Client Not Found"):
        client.get_client(999999)


# --- AddInvoicePayment -----------------------------------------------------------------------


def test_add_invoice_payment_records_a_partial_payment_without_an_email(
    client: WhmcsClient, whmcs: Whmcs
) -> None:
    invoice_id = whmcs.add_invoice(total="20.00")

    client.add_invoice_payment(
        invoice_id=invoice_id,
        transid="PAYYMO-1",
        gateway="banktransfer",
        paid_at=datetime(2026, 11, 25, 14, 30, tzinfo=UTC),
        amount=Decimal("12.50"),
        fees=Decimal("0.25"),
    )

    [payment] = client.get_transactions(transid="PAYYMO-1")
    assert (payment.amount_in, payment.fees, payment.at) == (
        Decimal("12.50"),
        Decimal("0.25"),
        datetime(2026, 11, 25, 14, 30, tzinfo=UTC),
    )
    assert client.get_invoice(invoice_id).balance == Decimal("7.50")
    assert whmcs.state()["emails"] == []


def test_add_invoice_payment_can_ask_whmcs_to_send_the_confirmation_email(
    client: WhmcsClient, whmcs: Whmcs
) -> None:
    invoice_id = whmcs.add_invoice(total="20.00")

    client.add_invoice_payment(
        invoice_id=invoice_id,
        transid="PAYYMO-MAIL",
        gateway="banktransfer",
        paid_at=datetime(2026, 11, 25, 14, 30, tzinfo=UTC),
        send_email=True,
    )

    assert len(whmcs.state()["emails"]) == 1


def test_add_invoice_payment_to_a_cancelled_invoice_is_rejected(
    client: WhmcsClient, whmcs: Whmcs
) -> None:
    invoice_id = whmcs.add_invoice(status="Cancelled")

    with pytest.raises(ProviderRejected, match="Cancelled"):
        client.add_invoice_payment(
            invoice_id=invoice_id, transid="T", gateway="banktransfer", paid_at=START
        )


def test_add_invoice_payment_is_not_retried_after_a_server_error(
    client: WhmcsClient, whmcs: Whmcs
) -> None:
    invoice_id = whmcs.add_invoice()
    whmcs.fault("error", times=2)

    with pytest.raises(ProviderUnavailable):
        client.add_invoice_payment(
            invoice_id=invoice_id, transid="T", gateway="banktransfer", paid_at=START
        )

    assert len(whmcs.faults_left()) == 1  # one attempt only: WHMCS might have posted it


# --- refusals and failures -------------------------------------------------------------------


def test_a_wrong_secret_is_an_auth_error_that_does_not_repeat_the_secret(whmcs: Whmcs) -> None:
    with (
        client_on(whmcs.url, secret="wrong-secret-123") as client,
        pytest.raises(ProviderAuthError, match="Authentication Failed") as caught,
    ):
        client.verify()

    assert caught.value.status == 403
    assert "wrong-secret-123" not in str(caught.value)


def test_a_caller_outside_the_allowed_ips_is_an_auth_error_unless_it_sends_the_access_key() -> None:
    guarded = create_simulator(clock=SimClock(START), allowed_ips=("10.0.0.1",), access_key="k3y!")
    with SimServer(guarded) as server:
        with client_on(server.url) as client, pytest.raises(ProviderAuthError, match="Invalid IP"):
            client.verify()
        with client_on(server.url, access_key="k3y!") as client:
            assert client.verify().admin_id == 1


def test_a_server_error_is_retried_and_the_call_then_succeeds(
    client: WhmcsClient, whmcs: Whmcs
) -> None:
    whmcs.fault("error", times=1)

    assert client.verify().admin_id == 1
    assert whmcs.faults_left() == []


def test_persistent_server_errors_end_as_provider_unavailable_after_three_attempts(
    client: WhmcsClient, whmcs: Whmcs
) -> None:
    whmcs.fault("error", times=3)

    with pytest.raises(ProviderUnavailable, match="Injected server error") as caught:
        list(client.iter_invoices())

    assert caught.value.status == 500
    assert whmcs.faults_left() == []  # all three attempts were made


def test_a_timeout_is_retried_and_persistent_timeouts_are_provider_unavailable(
    whmcs: Whmcs,
) -> None:
    with client_on(whmcs.url, timeout=0.2) as client:
        whmcs.fault("timeout", times=1, seconds=0.6)
        assert client.verify().admin_id == 1

        whmcs.fault("timeout", times=3, seconds=0.6)
        with pytest.raises(ProviderUnavailable, match="in time"):
            client.verify()


def test_an_unreachable_whmcs_is_provider_unavailable() -> None:
    with client_on("http://127.0.0.1:9") as client, pytest.raises(ProviderUnavailable):
        client.verify()


def test_a_rate_limit_is_retried_then_reported(client: WhmcsClient, whmcs: Whmcs) -> None:
    whmcs.fault("rate_limit", times=3)

    with pytest.raises(ProviderRateLimited):
        client.verify()


def test_a_malformed_body_is_a_bad_response_and_is_not_retried(
    client: WhmcsClient, whmcs: Whmcs
) -> None:
    whmcs.fault("malformed", times=2)

    with pytest.raises(ProviderBadResponse, match="not a JSON object"):
        client.verify()

    assert len(whmcs.faults_left()) == 1


def test_the_maintenance_page_is_a_bad_response(client: WhmcsClient, whmcs: Whmcs) -> None:
    whmcs.quirks(maintenance=True)

    with pytest.raises(ProviderBadResponse, match="HTML page"):
        list(client.iter_invoices())


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"result": "error", "message": f"no such key {SECRET}"}, ProviderRejected),
        ({"result": "error"}, ProviderRejected),
        ({"message": "no result at all"}, ProviderBadResponse),
        (["result", "success"], ProviderBadResponse),
        ({"result": "success", "adminid": "one"}, ProviderBadResponse),
        ({"result": "success", "adminid": 1, "name": "nul\x00"}, ProviderBadResponse),
    ],
)
def test_anything_but_a_successful_object_is_an_error_without_secrets(
    body: Any, error: type[ProviderError]
) -> None:
    with client_answering(body) as client, pytest.raises(error) as caught:
        client.verify()

    assert SECRET not in caught.value.message


@pytest.mark.parametrize(
    "change",
    [
        {"total": 15.95},  # a float: money must arrive as a string
        {"total": "15,95"},
        {"status": "Lost"},
        {"currencycode": "XXY"},
        {"duedate": "next week"},
    ],
)
def test_an_invoice_row_that_does_not_fit_the_contract_is_a_bad_response(
    change: dict[str, Any],
) -> None:
    row = {"id": 1, "userid": 1, "total": "15.95", "status": "Unpaid", "currencycode": "EUR"}
    page = {"result": "success", "totalresults": 1, "invoices": {"invoice": [{**row, **change}]}}

    with client_answering(page) as client, pytest.raises(ProviderBadResponse, match="invoices"):
        list(client.iter_invoices())


def test_credentials_never_show_in_their_repr() -> None:
    credentials = WhmcsCredentials("https://whmcs.example", IDENTIFIER, SECRET, "access")

    assert SECRET not in repr(credentials)
    assert IDENTIFIER not in repr(credentials)


def test_no_log_line_carries_a_credential(whmcs: Whmcs, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    # The HTTP library's own request lines are quiet by default; this test wants them all.
    caplog.set_level(logging.DEBUG, logger="httpx")
    whmcs.fault("error", times=1)
    with client_on(whmcs.url) as client:
        client.verify()
    with client_on(whmcs.url, secret="wrong-secret-123") as client, pytest.raises(ProviderError):
        client.verify()

    assert "/includes/api.php" in caplog.text  # the calls were logged
    for credential in (IDENTIFIER, SECRET, "wrong-secret-123"):
        assert credential not in caplog.text
