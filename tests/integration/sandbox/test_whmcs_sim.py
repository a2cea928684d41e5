"""The WHMCS simulator, driven over real HTTP on loopback the way Payymo's client will drive it.

The expected shapes below are those of the recorded responses in shared/fixtures/whmcs.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from payymo.sandbox.common import SimClock, SimServer
from payymo.sandbox.whmcs import create_app

API = "/includes/api.php"
START = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
TODAY = START.date()
AUTH = {"identifier": "sim-identifier", "secret": "sim-secret", "responsetype": "json"}
ZERO_DATE = "0000-00-00 00:00:00"

INVOICE_ROW_FIELDS = [
    *("id", "userid", "firstname", "lastname", "companyname", "invoicenum", "date", "duedate"),
    *("datepaid", "last_capture_attempt", "date_refunded", "date_cancelled", "subtotal"),
    *("credit", "tax", "tax2", "total", "taxrate", "taxrate2", "status", "paymentmethod"),
    *("paymethodid", "notes", "created_at", "updated_at", "currencycode", "currencyprefix"),
    "currencysuffix",
]
GET_INVOICE_FIELDS = [
    *("result", "invoiceid", "invoicenum", "userid", "date", "duedate", "datepaid"),
    *("lastcaptureattempt", "subtotal", "credit", "tax", "tax2", "total", "balance", "taxrate"),
    *("taxrate2", "status", "paymentmethod", "notes", "ccgateway", "items", "transactions"),
]
TRANSACTION_FIELDS = [
    *("id", "userid", "currency", "gateway", "date", "description", "amountin", "fees"),
    *("amountout", "rate", "transid", "invoiceid", "refundid"),
]
ITEM_FIELDS = ["id", "type", "relid", "description", "amount", "taxed"]


# --- plumbing --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[SimServer]:
    with SimServer(create_app(seed=7, clock=SimClock(START))) as running:
        yield running


@pytest.fixture
def whmcs(server: SimServer) -> Iterator[httpx.Client]:
    """A client on the shared simulator, which starts every test seeded and at START."""
    with httpx.Client(base_url=server.url, timeout=5) as client:
        client.post("/_sim/reset").raise_for_status()
        client.post("/_sim/clock", json={"set": START.isoformat()}).raise_for_status()
        yield client


@pytest.fixture(scope="module")
def guarded() -> Iterator[httpx.Client]:
    """A simulator that only admits 10.0.0.1, or whoever sends the access key."""
    with own_simulator(allowed_ips=("10.0.0.1",), access_key="let-me-in") as client:
        yield client


@contextmanager
def own_simulator(**options: Any) -> Iterator[httpx.Client]:
    with (
        SimServer(create_app(clock=SimClock(START), **options)) as running,
        httpx.Client(base_url=running.url, timeout=5) as client,
    ):
        yield client


def call(client: httpx.Client, action: str, **fields: str) -> httpx.Response:
    return client.post(API, data={**AUTH, "action": action, **fields})


def ok(client: httpx.Client, action: str, **fields: str) -> dict[str, Any]:
    response = call(client, action, **fields)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    assert body["result"] == "success", body
    return body


def sim_state(client: httpx.Client) -> dict[str, Any]:
    body: dict[str, Any] = client.get("/_sim/state").json()
    return body


def new_invoice(client: httpx.Client, **fields: Any) -> int:
    response = client.post("/_sim/invoices", json={"userid": 1, "total": "15.95", **fields})
    assert response.status_code == 201, response.text
    invoice_id: int = response.json()["invoiceid"]
    return invoice_id


def pay(client: httpx.Client, invoice_id: int, **fields: str) -> httpx.Response:
    payment = {"invoiceid": str(invoice_id), "transid": "BANK-1", "gateway": "banktransfer"}
    return call(client, "AddInvoicePayment", **{**payment, **fields})


def all_invoices(client: httpx.Client, **filters: str) -> list[dict[str, Any]]:
    """Walk GetInvoices the way the contract tells clients to: until >= totalresults."""
    seen: list[dict[str, Any]] = []
    while True:
        body = ok(client, "GetInvoices", limitstart=str(len(seen)), limitnum="10", **filters)
        page = body["invoices"]["invoice"] if body["invoices"] else []
        seen.extend(page)
        if not page or len(seen) >= body["totalresults"]:
            return seen


def is_money(text: object) -> bool:
    return isinstance(text, str) and Decimal(text).as_tuple().exponent == -2


# --- GetInvoices -----------------------------------------------------------------------------


def test_get_invoices_rows_have_every_fixture_field_and_no_balance(whmcs: httpx.Client) -> None:
    body = ok(whmcs, "GetInvoices", limitnum="3")

    assert (body["totalresults"], body["startnumber"], body["numreturned"]) == (58, 0, 3)
    row = body["invoices"]["invoice"][0]
    assert list(row) == INVOICE_ROW_FIELDS
    assert isinstance(row["id"], int)
    assert isinstance(row["userid"], int)
    assert all(is_money(row[k]) for k in ("subtotal", "credit", "tax", "tax2", "total"))
    assert (row["taxrate"], row["paymethodid"], row["datepaid"]) == ("0.000", None, ZERO_DATE)
    assert (row["currencycode"], row["currencyprefix"], row["currencysuffix"]) == (
        "EUR",
        "€",
        " EUR",
    )


def test_get_invoices_with_no_match_gives_a_bare_empty_list(whmcs: httpx.Client) -> None:
    body = ok(whmcs, "GetInvoices", status="Refunded")

    assert body["invoices"] == []
    assert (body["totalresults"], body["numreturned"]) == (0, 0)


def test_a_page_past_the_end_is_a_bare_empty_list_too(whmcs: httpx.Client) -> None:
    body = ok(whmcs, "GetInvoices", limitstart="58")

    assert body["invoices"] == []
    assert (body["totalresults"], body["startnumber"]) == (58, 58)


def test_paging_with_limitstart_visits_every_invoice_once(whmcs: httpx.Client) -> None:
    invoices = all_invoices(whmcs)

    ids = [i["id"] for i in invoices]
    assert len(ids) == 58
    assert ids == sorted(set(ids))


def test_limitnum_defaults_to_pages_of_25(whmcs: httpx.Client) -> None:
    assert ok(whmcs, "GetInvoices")["numreturned"] == 25


def test_get_invoices_filters_by_client_and_status_ignoring_case(whmcs: httpx.Client) -> None:
    paid = all_invoices(whmcs, status="paid")
    mine = all_invoices(whmcs, userid="1")

    assert paid
    assert {i["status"] for i in paid} == {"Paid"}
    assert mine
    assert {i["userid"] for i in mine} == {1}


def test_get_invoices_orders_by_total_descending(whmcs: httpx.Client) -> None:
    invoices = all_invoices(whmcs, orderby="total", order="desc")

    totals = [Decimal(i["total"]) for i in invoices]
    assert totals == sorted(totals, reverse=True)


def test_overdue_means_unpaid_with_a_due_date_before_today(whmcs: httpx.Client) -> None:
    overdue = all_invoices(whmcs, status="Overdue")

    expected = {
        i["id"]
        for i in sim_state(whmcs)["invoices"]
        if i["status"] == "Unpaid" and date.fromisoformat(i["duedate"]) < TODAY
    }
    assert expected
    assert {i["id"] for i in overdue} == expected
    assert {i["status"] for i in overdue} == {"Unpaid"}


def test_advancing_the_clock_makes_an_invoice_overdue(whmcs: httpx.Client) -> None:
    invoice_id = new_invoice(whmcs, duedate="2026-11-27")
    assert invoice_id not in {i["id"] for i in all_invoices(whmcs, status="Overdue")}

    whmcs.post("/_sim/clock", json={"advance_seconds": 2 * 86400}).raise_for_status()

    assert invoice_id in {i["id"] for i in all_invoices(whmcs, status="Overdue")}


# --- GetInvoice ------------------------------------------------------------------------------


def test_get_invoice_without_payments_has_full_balance_and_empty_string_transactions(
    whmcs: httpx.Client,
) -> None:
    invoice_id = new_invoice(whmcs, total="15.95", description="VPS S", date="2026-11-01")

    body = ok(whmcs, "GetInvoice", invoiceid=str(invoice_id))

    assert list(body) == GET_INVOICE_FIELDS
    assert (body["invoiceid"], body["total"], body["balance"]) == (invoice_id, "15.95", "15.95")
    assert body["transactions"] == ""
    assert body["ccgateway"] is False
    [item] = body["items"]["item"]
    assert list(item) == ITEM_FIELDS
    assert item["description"] == "VPS S (01/11/2026 - 30/11/2026)"
    assert (item["amount"], item["taxed"]) == ("15.95", 0)


def test_a_seeded_paid_invoice_lists_its_payment_and_owes_nothing(whmcs: httpx.Client) -> None:
    paid = all_invoices(whmcs, status="Paid")[0]

    body = ok(whmcs, "GetInvoice", invoiceid=str(paid["id"]))

    [transaction] = body["transactions"]["transaction"]
    assert list(transaction) == TRANSACTION_FIELDS
    assert transaction["amountin"] == body["total"]
    assert body["balance"] == "0.00"
    assert body["datepaid"] == transaction["date"] != ZERO_DATE


def test_get_invoice_not_found_reports_status_error_not_result(whmcs: httpx.Client) -> None:
    response = call(whmcs, "GetInvoice", invoiceid="999999")

    assert response.status_code == 200
    assert response.json() == {"status": "error", "message": "Invoice ID Not Found"}


# --- AddInvoicePayment -----------------------------------------------------------------------


def test_add_invoice_payment_answers_with_result_success_only(whmcs: httpx.Client) -> None:
    response = pay(whmcs, new_invoice(whmcs))

    assert response.status_code == 200
    assert response.json() == {"result": "success"}


def test_a_partial_payment_leaves_the_invoice_unpaid_with_a_lower_balance(
    whmcs: httpx.Client,
) -> None:
    invoice_id = new_invoice(whmcs, total="15.95")

    pay(whmcs, invoice_id, amount="5.00", transid="PART-1")

    body = ok(whmcs, "GetInvoice", invoiceid=str(invoice_id))
    assert (body["status"], body["balance"], body["datepaid"]) == ("Unpaid", "10.95", ZERO_DATE)
    assert body["transactions"]["transaction"][0]["amountin"] == "5.00"


def test_a_blank_amount_pays_the_rest_and_marks_the_invoice_paid(whmcs: httpx.Client) -> None:
    invoice_id = new_invoice(whmcs, total="15.95")
    pay(whmcs, invoice_id, amount="5.00", transid="PART-1")

    pay(whmcs, invoice_id, transid="PART-2", date="2026-11-26 10:15:00", fees="0.35")

    body = ok(whmcs, "GetInvoice", invoiceid=str(invoice_id))
    assert (body["status"], body["balance"]) == ("Paid", "0.00")
    assert body["datepaid"] == "2026-11-26 10:15:00"
    rest = body["transactions"]["transaction"][1]
    assert (rest["amountin"], rest["fees"], rest["transid"]) == ("10.95", "0.35", "PART-2")


def test_a_duplicate_transid_is_accepted_and_recorded_twice(whmcs: httpx.Client) -> None:
    invoice_id = new_invoice(whmcs, total="20.00")

    first = pay(whmcs, invoice_id, amount="10.00", transid="DUP-1")
    second = pay(whmcs, invoice_id, amount="10.00", transid="DUP-1")

    assert first.json() == second.json() == {"result": "success"}
    recorded = [t for t in sim_state(whmcs)["transactions"] if t["transid"] == "DUP-1"]
    assert len(recorded) == 2
    assert ok(whmcs, "GetTransactions", transid="DUP-1")["totalresults"] == 2


def test_a_cancelled_invoice_refuses_payment(whmcs: httpx.Client) -> None:
    invoice_id = new_invoice(whmcs)
    cancelled = whmcs.post(f"/_sim/invoices/{invoice_id}/status", json={"status": "Cancelled"})
    assert cancelled.json() == {"invoiceid": invoice_id, "status": "Cancelled"}

    response = pay(whmcs, invoice_id)

    assert response.status_code == 200
    assert response.json() == {
        "result": "error",
        "message": "It is not possible to add a payment to an invoice that is Cancelled",
    }
    assert ok(whmcs, "GetTransactions", invoiceid=str(invoice_id))["totalresults"] == 0


def test_a_draft_invoice_refuses_payment(whmcs: httpx.Client) -> None:
    response = pay(whmcs, new_invoice(whmcs, status="Draft"))

    assert response.json()["result"] == "error"
    assert "Draft" in response.json()["message"]


def test_paying_an_unknown_invoice_is_invoice_id_not_found(whmcs: httpx.Client) -> None:
    response = pay(whmcs, 999999)

    assert response.status_code == 200
    assert response.json() == {"result": "error", "message": "Invoice ID Not Found"}


@pytest.mark.parametrize("amount", ["abc", "1e3", "12,50", "NaN", "-5.00", "0"])
def test_a_malformed_amount_is_refused_and_records_nothing(
    whmcs: httpx.Client, amount: str
) -> None:
    invoice_id = new_invoice(whmcs)

    response = pay(whmcs, invoice_id, amount=amount)

    assert response.status_code == 200
    assert response.json()["result"] == "error"
    assert amount in response.json()["message"]
    assert "transactions" not in ok(whmcs, "GetTransactions", invoiceid=str(invoice_id))


@pytest.mark.parametrize("missing", ["transid", "gateway"])
def test_a_payment_without_transid_or_gateway_is_refused(whmcs: httpx.Client, missing: str) -> None:
    assert pay(whmcs, new_invoice(whmcs), **{missing: ""}).json()["result"] == "error"


def test_a_malformed_payment_date_is_refused(whmcs: httpx.Client) -> None:
    response = pay(whmcs, new_invoice(whmcs), date="26/11/2026")

    assert response.json()["result"] == "error"


def test_noemail_suppresses_the_payment_confirmation(whmcs: httpx.Client) -> None:
    quiet, loud = new_invoice(whmcs), new_invoice(whmcs)

    pay(whmcs, quiet, noemail="true")
    pay(whmcs, loud)

    assert [e["invoiceid"] for e in sim_state(whmcs)["emails"]] == [loud]


def test_concurrent_payments_are_all_recorded_against_one_balance(whmcs: httpx.Client) -> None:
    invoice_id = new_invoice(whmcs, total="20.00")

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda n: pay(whmcs, invoice_id, amount="1.00", transid=f"C{n}"), range(20)))

    body = ok(whmcs, "GetInvoice", invoiceid=str(invoice_id))
    assert (body["status"], body["balance"]) == ("Paid", "0.00")
    assert len(body["transactions"]["transaction"]) == 20


# --- GetTransactions -------------------------------------------------------------------------


def test_get_transactions_filters_and_gives_every_field_as_a_string(whmcs: httpx.Client) -> None:
    invoice_id = new_invoice(whmcs, userid=2, total="9.99")
    pay(whmcs, invoice_id, transid="TX-42")

    by_transid = ok(whmcs, "GetTransactions", transid="TX-42")
    by_invoice = ok(whmcs, "GetTransactions", invoiceid=str(invoice_id))
    by_client = ok(whmcs, "GetTransactions", clientid="2")

    [row] = by_transid["transactions"]["transaction"]
    assert by_invoice["transactions"]["transaction"] == [row]
    assert row in by_client["transactions"]["transaction"]
    assert list(row) == TRANSACTION_FIELDS
    assert all(isinstance(value, str) for value in row.values())
    assert (row["invoiceid"], row["userid"], row["amountin"]) == (str(invoice_id), "2", "9.99")
    assert (by_transid["totalresults"], by_transid["startnumber"]) == (1, 0)
    # MySQL compares case-insensitively, so a lookup for a duplicate must expect that too.
    assert ok(whmcs, "GetTransactions", transid="tx-42")["transactions"]["transaction"] == [row]


def test_get_transactions_without_a_match_leaves_the_key_out(whmcs: httpx.Client) -> None:
    body = ok(whmcs, "GetTransactions", transid="never-seen")

    assert body == {"result": "success", "totalresults": 0, "startnumber": 0, "numreturned": 0}


# --- GetClientsDetails, WhmcsDetails, GetAdminDetails ----------------------------------------


def test_get_clients_details_gives_the_client_and_its_deprecated_top_level_copy(
    whmcs: httpx.Client,
) -> None:
    body = ok(whmcs, "GetClientsDetails", clientid="1")

    client = body["client"]
    assert (client["id"], client["currency_code"], client["credit"]) == (1, "EUR", "0.00")
    assert client["customfields"] == [{"id": 1, "value": "C00001"}]
    assert client["users"]["user"][0]["is_owner"] is True
    assert all(body[key] == value for key, value in client.items())
    assert "stats" not in body


def test_get_clients_details_finds_a_client_by_email_with_stats(whmcs: httpx.Client) -> None:
    email = sim_state(whmcs)["clients"][0]["email"]

    body = ok(whmcs, "GetClientsDetails", email=email.upper(), stats="true")

    assert body["client"]["id"] == 1
    stats = body["stats"]
    assert isinstance(stats["numdueinvoices"], int)
    assert stats["dueinvoicesbalance"].startswith("€")
    assert stats["dueinvoicesbalance"].endswith(" EUR")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"clientid": "9999"}, "Client Not Found"),
        ({"email": "nobody@example.com"}, "Client Not Found"),
        ({}, "Either clientid Or email Is Required"),
    ],
)
def test_an_unknown_client_is_an_error(
    whmcs: httpx.Client, fields: dict[str, str], message: str
) -> None:
    response = call(whmcs, "GetClientsDetails", **fields)

    assert response.status_code == 200
    assert response.json() == {"result": "error", "message": message}


def test_whmcs_details_and_get_admin_details_confirm_the_credentials(
    whmcs: httpx.Client,
) -> None:
    details = ok(whmcs, "WhmcsDetails")
    admin = ok(whmcs, "GetAdminDetails")

    assert set(details["whmcs"]) == {"version", "canonicalversion"}
    assert admin["adminid"] == "1"
    assert "API Access" in admin["allowedpermissions"].split(",")
    assert admin["whmcs"] == details["whmcs"]


# --- transport and auth ----------------------------------------------------------------------


def test_action_names_match_case_insensitively(whmcs: httpx.Client) -> None:
    assert ok(whmcs, "getinvoices", limitnum="1")["numreturned"] == 1
    assert ok(whmcs, "GETINVOICES", limitnum="1")["numreturned"] == 1


def test_an_unknown_action_is_command_not_found_with_http_200(whmcs: httpx.Client) -> None:
    response = call(whmcs, "GetSomethingElse")

    assert response.status_code == 200
    assert response.json() == {"result": "error", "message": "Command Not Found"}


@pytest.mark.parametrize(
    "credentials",
    [
        {"identifier": "sim-identifier", "secret": "wrong"},
        {"identifier": "someone-else", "secret": "sim-secret"},
        {},
    ],
)
def test_wrong_credentials_are_refused_with_403(
    whmcs: httpx.Client, credentials: dict[str, str]
) -> None:
    response = whmcs.post(API, data={"action": "GetInvoices", **credentials})

    assert response.status_code == 403
    assert response.json() == {"result": "error", "message": "Authentication Failed"}


def test_credentials_are_also_accepted_as_username_and_password(whmcs: httpx.Client) -> None:
    fields = {"action": "WhmcsDetails", "username": "sim-identifier", "password": "sim-secret"}

    assert whmcs.post(API, data=fields).json()["result"] == "success"


def test_a_caller_outside_the_allowed_ips_is_refused_with_403(guarded: httpx.Client) -> None:
    response = call(guarded, "WhmcsDetails", accesskey="wrong-key")

    assert response.status_code == 403
    assert response.json() == {"result": "error", "message": "Invalid IP 127.0.0.1"}


def test_the_access_key_lets_a_caller_outside_the_allowed_ips_in(guarded: httpx.Client) -> None:
    assert ok(guarded, "WhmcsDetails", accesskey="let-me-in")["whmcs"]


def test_a_caller_on_the_allowed_ips_needs_no_access_key() -> None:
    with own_simulator(allowed_ips=("127.0.0.1",)) as client:
        assert ok(client, "WhmcsDetails")["whmcs"]


# --- determinism, faults, control API --------------------------------------------------------


def test_the_same_seed_gives_the_same_world_and_another_seed_a_different_one(
    whmcs: httpx.Client,
) -> None:
    with own_simulator(seed=7) as same, own_simulator(seed=8) as other:
        assert sim_state(same) == sim_state(whmcs)
        assert sim_state(other)["invoices"] != sim_state(whmcs)["invoices"]


def test_an_injected_500_fails_one_call_then_the_api_answers_normally(
    whmcs: httpx.Client,
) -> None:
    whmcs.post("/_sim/faults", json={"kind": "error", "path": API, "times": 1}).raise_for_status()

    failed = call(whmcs, "WhmcsDetails")
    recovered = call(whmcs, "WhmcsDetails")

    assert failed.status_code == 500
    assert failed.json() == {"result": "error", "message": "Injected server error"}
    assert recovered.status_code == 200
    assert recovered.json()["result"] == "success"


def test_an_injected_rate_limit_answers_429_in_the_whmcs_envelope(whmcs: httpx.Client) -> None:
    whmcs.post("/_sim/faults", json={"kind": "rate_limit", "path": API}).raise_for_status()

    response = call(whmcs, "GetInvoices")

    assert response.status_code == 429
    assert response.json()["result"] == "error"


def test_an_injected_malformed_body_is_not_json(whmcs: httpx.Client) -> None:
    whmcs.post("/_sim/faults", json={"kind": "malformed", "path": API}).raise_for_status()

    response = call(whmcs, "GetInvoices")

    assert response.status_code == 200
    with pytest.raises(ValueError, match="Unterminated string"):
        response.json()


def test_reset_goes_back_to_the_seeded_world(whmcs: httpx.Client) -> None:
    seeded = sim_state(whmcs)
    pay(whmcs, new_invoice(whmcs))
    assert sim_state(whmcs) != seeded

    whmcs.post("/_sim/reset").raise_for_status()

    assert sim_state(whmcs) == seeded


def test_the_state_shows_balances_and_every_transaction(whmcs: httpx.Client) -> None:
    invoice_id = new_invoice(whmcs, total="12.00", currency="GBP")
    pay(whmcs, invoice_id, amount="2.50", transid="S-1")

    state = sim_state(whmcs)

    [invoice] = [i for i in state["invoices"] if i["id"] == invoice_id]
    assert (invoice["balance"], invoice["currencycode"]) == ("9.50", "GBP")
    assert [t["transid"] for t in state["transactions"]].count("S-1") == 1


@pytest.mark.parametrize(
    "fields",
    [
        {"total": 12.5},  # a JSON float is refused: money travels as a string
        {"total": "12,50"},
        {"userid": 9999},
        {"status": "Lost"},
        {"currency": "CHF"},
        {"duedate": "next week"},
    ],
)
def test_the_invoice_control_route_refuses_bad_input(
    whmcs: httpx.Client, fields: dict[str, Any]
) -> None:
    response = whmcs.post("/_sim/invoices", json={"userid": 1, "total": "15.95", **fields})

    assert response.status_code == 400
    assert response.json()["error"]


def test_an_invoice_created_paid_comes_with_its_settling_payment(whmcs: httpx.Client) -> None:
    invoice_id = new_invoice(whmcs, status="Paid", total="7.00")

    body = ok(whmcs, "GetInvoice", invoiceid=str(invoice_id))

    assert (body["status"], body["balance"], body["datepaid"]) == (
        "Paid",
        "0.00",
        "2026-11-26 09:00:00",
    )
    assert body["transactions"]["transaction"][0]["amountin"] == "7.00"


def test_changing_the_status_of_an_unknown_invoice_is_404(whmcs: httpx.Client) -> None:
    response = whmcs.post("/_sim/invoices/999999/status", json={"status": "Cancelled"})

    assert response.status_code == 404


def test_the_optional_paging_quirks_can_be_switched_on(whmcs: httpx.Client) -> None:
    quirks = {"numreturned_is_total": True, "ignore_limitnum": True}
    assert whmcs.post("/_sim/quirks", json=quirks).json()["ignore_limitnum"] is True

    body = ok(whmcs, "GetInvoices", limitnum="5")

    assert len(body["invoices"]["invoice"]) == 25
    assert body["numreturned"] == body["totalresults"] == 58


def test_maintenance_mode_answers_an_html_page_with_http_200(whmcs: httpx.Client) -> None:
    whmcs.post("/_sim/quirks", json={"maintenance": True}).raise_for_status()

    response = call(whmcs, "GetInvoices")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "Maintenance" in response.text
