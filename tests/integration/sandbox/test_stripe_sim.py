"""The Stripe simulator, driven over loopback HTTP by the official `stripe` SDK."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
import stripe

from payymo.sandbox.common import SimClock, SimServer
from payymo.sandbox.stripe import create_app

# stripe's HTTPXClient hands httpx its form body as `data=bytes`, which httpx deprecates.
pytestmark = pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning")

START = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
SECRET = "whsec_sim"
DAY = 86_400


@dataclass(frozen=True)
class Delivered:
    body: bytes
    signature: str
    event: dict[str, Any]


class WebhookReceiver:
    """A tiny threaded endpoint that records what it is sent and can refuse on request."""

    def __init__(self) -> None:
        self._received: list[Delivered] = []
        self._refusals: list[tuple[Callable[[dict[str, Any]], bool], list[int]]] = []
        self._changed = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                accepted = receiver._accept(body, self.headers.get("Stripe-Signature", ""))
                self.send_response(200 if accepted else 500)
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}/webhooks/stripe"

    def _accept(self, body: bytes, signature: str) -> bool:
        event = json.loads(body)
        with self._changed:
            for matches, remaining in self._refusals:
                if matches(event) and remaining[0] > 0:
                    remaining[0] -= 1
                    return False
            self._received.append(Delivered(body, signature, event))
            self._changed.notify_all()
        return True

    def clear(self) -> None:
        with self._changed:
            self._received.clear()
            self._refusals.clear()

    def refuse(self, matches: Callable[[dict[str, Any]], bool], times: int) -> None:
        with self._changed:
            self._refusals.append((matches, [times]))

    def wait_for(
        self, matches: Callable[[dict[str, Any]], bool], count: int = 1, timeout: float = 5.0
    ) -> list[Delivered]:
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [d for d in self._received if matches(d.event)]
                if len(found) >= count or time.monotonic() > deadline:
                    return found
                self._changed.wait(timeout=0.05)

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture(scope="module")
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as running:
        yield running


@pytest.fixture(scope="module")
def clock() -> SimClock:
    return SimClock(START)


@pytest.fixture(scope="module")
def server(receiver: WebhookReceiver, clock: SimClock) -> Iterator[SimServer]:
    app = create_app(seed=7, clock=clock, webhook_url=receiver.url, webhook_secret=SECRET)
    with SimServer(app) as running:
        yield running


@pytest.fixture(scope="module")
def control(server: SimServer) -> Iterator[httpx.Client]:
    """Plain HTTP to the simulator, for its `/_sim` routes and raw `/v1` requests."""
    with httpx.Client(base_url=server.url) as http:
        yield http


@pytest.fixture(autouse=True)
def fresh_account(control: httpx.Client, clock: SimClock, receiver: WebhookReceiver) -> None:
    # Ids are deterministic, so after a reset they repeat: forget earlier deliveries too.
    clock.set(START)
    control.post("/_sim/reset").raise_for_status()
    receiver.clear()


@contextmanager
def sdk(url: str, key: str = "sk_test_sim") -> Iterator[stripe.StripeClient]:
    # The SDK's HTTPXClient is async-only unless told otherwise.
    http = stripe.HTTPXClient(allow_sync_methods=True)
    try:
        yield stripe.StripeClient(
            key, base_addresses={"api": url}, http_client=http, max_network_retries=0
        )
    finally:
        http.close()


@pytest.fixture
def client(server: SimServer) -> Iterator[stripe.StripeClient]:
    with sdk(server.url) as official:
        yield official


def pay(
    control: httpx.Client, invoice_id: int, amount: str = "10.00", **extra: Any
) -> dict[str, Any]:
    body = {"invoice_id": invoice_id, "amount": amount, "currency": "EUR"}
    body |= {"email": f"payer{invoice_id}@example.com", **extra}
    response = control.post("/_sim/payments", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def sim(control: httpx.Client, method: str, path: str, **kwargs: Any) -> httpx.Response:
    return control.request(method, f"/_sim{path}", **kwargs)


def of_type(event_type: str, object_id: str) -> Callable[[dict[str, Any]], bool]:
    return lambda e: e["type"] == event_type and e["data"]["object"]["id"] == object_id


# Auth and errors


def test_an_unknown_api_key_raises_authentication_error_and_is_masked(server: SimServer) -> None:
    with (
        sdk(server.url, "sk_test_not_ours_9876") as intruder,
        pytest.raises(stripe.AuthenticationError) as caught,
    ):
        intruder.v1.charges.list()
    assert caught.value.http_status == 401
    assert "sk_test_" in str(caught.value.user_message)
    assert str(caught.value.user_message).endswith("9876")
    assert "not_ours" not in str(caught.value.user_message)


def test_the_key_is_also_accepted_as_the_basic_auth_username(control: httpx.Client) -> None:
    response = control.get("/v1/account", auth=("rk_test_sim", ""))
    assert response.status_code == 200
    assert response.json()["id"].startswith("acct_1")
    assert control.get("/v1/account").status_code == 401


def test_an_unknown_charge_is_a_404_resource_missing(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.charges.retrieve("ch_missing")
    assert caught.value.http_status == 404
    assert caught.value.code == "resource_missing"
    assert caught.value.param == "id"
    assert caught.value.user_message == "No such charge: 'ch_missing'"


def test_an_injected_500_raises_api_error(
    control: httpx.Client, client: stripe.StripeClient
) -> None:
    sim(control, "POST", "/faults", json={"kind": "error", "path": "/v1/charges", "status": 500})
    with pytest.raises(stripe.APIError) as caught:
        client.v1.charges.list()
    assert caught.value.http_status == 500
    assert caught.value.json_body == {
        "error": {"type": "api_error", "message": "Injected server error"}
    }
    assert client.v1.charges.list().object == "list"  # the fault was used up


def test_an_injected_429_raises_rate_limit_error(
    control: httpx.Client, client: stripe.StripeClient
) -> None:
    sim(control, "POST", "/faults", json={"kind": "rate_limit", "path": "/v1/payouts"})
    with pytest.raises(stripe.RateLimitError) as caught:
        client.v1.payouts.list()
    assert caught.value.http_status == 429
    assert caught.value.json_body["error"]["code"] == "rate_limit"


def test_unknown_parameters_and_urls_are_rejected_as_stripe_does(control: httpx.Client) -> None:
    auth = {"Authorization": "Bearer sk_test_sim"}
    unknown = control.get("/v1/charges?colour=red", headers=auth)
    assert unknown.status_code == 400
    assert unknown.json()["error"]["param"] == "colour"
    nowhere = control.get("/v1/invoices", headers=auth)
    assert nowhere.status_code == 404
    assert nowhere.json()["error"]["message"].startswith("Unrecognized request URL (GET:")


# Lists


def test_bracket_notation_expands_with_or_without_an_index(control: httpx.Client) -> None:
    auth = {"Authorization": "Bearer sk_test_sim"}
    for query in ("expand[]=data.source", "expand[0]=data.source"):
        listed = control.get(f"/v1/balance_transactions?type=charge&limit=2&{query}", headers=auth)
        assert [row["source"]["object"] for row in listed.json()["data"]] == ["charge", "charge"]


def test_auto_paging_iter_walks_every_charge_newest_first(
    control: httpx.Client, client: stripe.StripeClient
) -> None:
    for invoice_id in range(9001, 9013):
        pay(control, invoice_id)
    expected = [c["id"] for c in sim(control, "GET", "/state").json()["charges"]]
    walked = [c.id for c in client.v1.charges.list(params={"limit": 5}).auto_paging_iter()]
    assert walked == expected
    assert len(expected) == len(set(expected)) > 15


def test_ending_before_pages_back_to_the_previous_page(
    control: httpx.Client, client: stripe.StripeClient
) -> None:
    for invoice_id in range(9101, 9108):
        pay(control, invoice_id)
    first = client.v1.charges.list(params={"limit": 4})
    second = client.v1.charges.list(params={"limit": 4, "starting_after": first.data[-1].id})
    back = client.v1.charges.list(params={"limit": 4, "ending_before": second.data[0].id})
    assert first.has_more
    assert [c.id for c in back.data] == [c.id for c in first.data]
    assert not back.has_more


@pytest.mark.parametrize("limit", [0, 101])
def test_a_limit_outside_one_to_a_hundred_is_rejected(
    client: stripe.StripeClient, limit: int
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.charges.list(params={"limit": limit})
    assert caught.value.http_status == 400
    assert caught.value.param == "limit"


def test_an_unknown_cursor_is_rejected(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.charges.list(params={"starting_after": "ch_nope"})
    assert caught.value.http_status == 400
    assert caught.value.param == "starting_after"


def test_created_gte_and_lt_keep_only_charges_in_the_window(
    control: httpx.Client, client: stripe.StripeClient
) -> None:
    moments = [START - timedelta(days=d) for d in (3, 2, 1)]
    charges = [
        pay(control, 9200 + i, created=m.isoformat())["charge"] for i, m in enumerate(moments)
    ]
    window = {"gte": int(moments[1].timestamp()), "lt": int(moments[2].timestamp())}
    listed = client.v1.charges.list(params={"created": window, "limit": 100})
    assert charges[1] in {c.id for c in listed.data}
    assert not {charges[0], charges[2]} & {c.id for c in listed.data}
    assert all(window["gte"] <= c.created < window["lt"] for c in listed.data)


# Payments, fees, payouts


def test_the_payment_intent_carries_the_whmcs_invoice_id(
    control: httpx.Client, client: stripe.StripeClient
) -> None:
    ids = pay(control, 4711, "29.00", description="Invoice #4711", name="Anna Müller")
    intent = client.v1.payment_intents.retrieve(
        ids["payment_intent"], params={"expand": ["latest_charge"]}
    )
    assert intent.metadata["whmcs_invoice_id"] == "4711"
    assert intent.description == "Invoice #4711"
    assert intent.status == "succeeded"
    assert intent.amount == intent.amount_received == 2900
    assert intent.latest_charge.id == ids["charge"]
    assert intent.latest_charge.billing_details.name == "Anna Müller"
    customer = client.v1.customers.retrieve(ids["customer"])
    assert customer.email == "payer4711@example.com"


def test_fee_and_net_follow_the_card_fee_schedule(
    control: httpx.Client, client: stripe.StripeClient
) -> None:
    euro = pay(control, 9301, "100.00")
    pound = pay(control, 9302, "100.00", currency="GBP")
    eur_txn = client.v1.balance_transactions.retrieve(euro["balance_transaction"])
    gbp_txn = client.v1.balance_transactions.retrieve(pound["balance_transaction"])
    assert (eur_txn.amount, eur_txn.fee, eur_txn.net) == (10000, 175, 9825)  # 1.5 % + 25 c
    assert (gbp_txn.amount, gbp_txn.fee, gbp_txn.net) == (10000, 170, 9830)  # 1.5 % + 20 p
    assert eur_txn.fee_details[0].type == "stripe_fee"
    assert sum(d.amount for d in eur_txn.fee_details) == eur_txn.fee
    assert (eur_txn.type, eur_txn.source, eur_txn.status) == ("charge", euro["charge"], "pending")
    assert eur_txn.available_on > eur_txn.created


def test_every_seeded_payout_nets_to_its_charges(client: stripe.StripeClient) -> None:
    payouts = list(client.v1.payouts.list(params={"limit": 100}).auto_paging_iter())
    assert payouts
    for payout in payouts:
        rows = list(
            client.v1.balance_transactions.list(
                params={"payout": payout.id, "limit": 100, "expand": ["data.source"]}
            ).auto_paging_iter()
        )
        own = [r for r in rows if r.type == "payout"]
        assert [(r.source.id, r.amount) for r in own] == [(payout.id, -payout.amount)]
        paid = [r for r in rows if r.type != "payout"]
        assert sum(r.net for r in paid) == payout.amount
        assert all(r.source.object == "charge" and r.source.payment_intent for r in paid)


def test_running_payouts_sweeps_only_available_funds_and_fires_payout_paid(
    control: httpx.Client, client: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    ids = pay(control, 9401, "80.00")
    assert sim(control, "POST", "/payouts/run").json() == {"payouts": []}  # still pending
    sim(control, "POST", "/clock", json={"advance_seconds": 3 * DAY})
    (payout,) = sim(control, "POST", "/payouts/run").json()["payouts"]
    assert (payout["status"], payout["automatic"], payout["currency"]) == ("paid", True, "eur")
    assert payout["arrival_date"] == int((START + timedelta(days=3)).timestamp())
    rows = client.v1.balance_transactions.list(
        params={"payout": payout["id"], "expand": ["data.source.payment_intent"]}
    ).data
    charge_row = next(r for r in rows if r.type == "charge")
    assert charge_row.id == ids["balance_transaction"]
    assert charge_row.source.payment_intent.metadata["whmcs_invoice_id"] == "9401"
    assert payout["amount"] == charge_row.net == 8000 - 145
    (delivered,) = receiver.wait_for(of_type("payout.paid", payout["id"]))
    assert delivered.event["data"]["object"]["status"] == "paid"


# Refunds and idempotency


def test_refunds_book_negative_transactions_and_mark_the_charge(
    control: httpx.Client, client: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    ids = pay(control, 9501, "50.00")
    part = client.v1.refunds.create(
        params={"charge": ids["charge"], "amount": 2000, "metadata": {"ticket": "T-1"}}
    )
    rest = client.v1.refunds.create(params={"payment_intent": ids["payment_intent"]})
    assert (part.amount, part.status, part.metadata["ticket"]) == (2000, "succeeded", "T-1")
    assert rest.amount == 3000
    txn = client.v1.balance_transactions.retrieve(part.balance_transaction)
    assert (txn.type, txn.amount, txn.fee, txn.net, txn.source) == (
        "refund",
        -2000,
        0,
        -2000,
        part.id,
    )
    charge = client.v1.charges.retrieve(ids["charge"])
    assert (charge.amount_refunded, charge.refunded) == (5000, True)
    listed = client.v1.refunds.list(params={"charge": ids["charge"]})
    assert [r.id for r in listed.data] == [rest.id, part.id]
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.refunds.create(params={"charge": ids["charge"]})
    assert caught.value.code == "charge_already_refunded"
    refunded = receiver.wait_for(of_type("charge.refunded", ids["charge"]), count=2)
    assert refunded[0].event["data"]["previous_attributes"] == {
        "amount_refunded": 0,
        "refunded": False,
    }
    assert refunded[0].event["request"]["idempotency_key"]  # the SDK sends one on every POST


def test_refunding_more_than_is_left_is_rejected(
    control: httpx.Client, client: stripe.StripeClient
) -> None:
    ids = pay(control, 9502, "10.00")
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.refunds.create(params={"charge": ids["charge"], "amount": 1001})
    assert caught.value.param == "amount"
    assert client.v1.charges.retrieve(ids["charge"]).amount_refunded == 0


def test_the_same_idempotency_key_and_params_replay_the_first_refund(
    control: httpx.Client, client: stripe.StripeClient
) -> None:
    ids = pay(control, 9601, "40.00")
    params = {"charge": ids["charge"], "amount": 1000}
    first = client.v1.refunds.create(params=params, options={"idempotency_key": "refund-9601"})
    again = client.v1.refunds.create(params=params, options={"idempotency_key": "refund-9601"})
    assert again.id == first.id
    assert again.last_response is not None
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert client.v1.charges.retrieve(ids["charge"]).amount_refunded == 1000


def test_the_same_idempotency_key_with_other_params_is_an_idempotency_error(
    control: httpx.Client, client: stripe.StripeClient
) -> None:
    ids = pay(control, 9602, "40.00")
    options: stripe.RequestOptions = {"idempotency_key": "refund-9602"}
    client.v1.refunds.create(params={"charge": ids["charge"], "amount": 1000}, options=options)
    with pytest.raises(stripe.IdempotencyError) as caught:
        client.v1.refunds.create(params={"charge": ids["charge"], "amount": 2000}, options=options)
    assert caught.value.http_status == 400
    assert client.v1.charges.retrieve(ids["charge"]).amount_refunded == 1000


# Webhooks


def test_webhooks_are_signed_so_the_sdk_accepts_them(
    control: httpx.Client, client: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    ids = pay(control, 9701, "12.30")
    (delivered,) = receiver.wait_for(of_type("charge.succeeded", ids["charge"]))
    event = stripe.Webhook.construct_event(
        delivered.body.decode(), delivered.signature, SECRET, tolerance=300
    )
    assert event.id.startswith("evt_")
    assert event.api_version == stripe.api_version
    assert event.data.object.metadata["whmcs_invoice_id"] == "9701"
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(delivered.body, delivered.signature, "whsec_other")
    listed = client.v1.events.list(params={"type": "charge.succeeded", "limit": 1})
    assert listed.data[0].id == event.id


def test_resending_an_event_delivers_the_same_event_again(
    control: httpx.Client, receiver: WebhookReceiver
) -> None:
    ids = pay(control, 9702)
    (first,) = receiver.wait_for(of_type("payment_intent.succeeded", ids["payment_intent"]))
    event_id = first.event["id"]
    assert sim(control, "POST", f"/webhooks/resend/{event_id}").status_code == 202
    twice = receiver.wait_for(lambda e: e["id"] == event_id, count=2)
    assert [d.event for d in twice] == [first.event, first.event]
    stripe.WebhookSignature.verify_header(twice[1].body.decode(), twice[1].signature, SECRET, 300)
    assert sim(control, "POST", "/webhooks/resend/evt_unknown").status_code == 404


def test_a_refusing_endpoint_is_retried_until_it_accepts(
    control: httpx.Client, receiver: WebhookReceiver
) -> None:
    invoice = "9703"
    receiver.refuse(
        lambda e: (
            e["type"] == "charge.succeeded"
            and e["data"]["object"]["metadata"].get("whmcs_invoice_id") == invoice
        ),
        times=2,
    )
    ids = pay(control, int(invoice))
    assert receiver.wait_for(of_type("charge.succeeded", ids["charge"]))
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        log = sim(control, "GET", "/webhooks/deliveries").json()["deliveries"]
        attempts = [(d["attempt"], d["status"]) for d in log if d["type"] == "charge.succeeded"]
        if attempts and attempts[-1][1] == 200:
            break
        time.sleep(0.05)
    assert attempts == [(1, 500), (2, 500), (3, 200)]


# Determinism and reset


def _state(app_seed: int) -> dict[str, Any]:
    app = create_app(seed=app_seed, clock=SimClock(START))
    state = app.test_client().get("/_sim/state").get_json()
    assert isinstance(state, dict)
    return state


def test_the_same_seed_gives_the_same_account_and_another_seed_does_not() -> None:
    first, again, other = _state(7), _state(7), _state(8)
    assert first == again
    assert first["charges"]
    assert first["payouts"]
    assert first["charges"][0]["id"].startswith("ch_3")
    assert first["account"]["id"] != other["account"]["id"]


def test_reset_returns_to_the_seeded_state(
    control: httpx.Client, client: stripe.StripeClient
) -> None:
    seeded = sim(control, "GET", "/state").json()
    ids = pay(control, 9801, "20.00")
    client.v1.refunds.create(params={"charge": ids["charge"]})
    assert sim(control, "POST", "/reset").status_code == 200
    restored = sim(control, "GET", "/state").json()
    seeded.pop("webhooks")
    restored.pop("webhooks")
    assert restored == seeded


def test_objects_only_use_fields_the_sdk_declares(control: httpx.Client) -> None:
    ids = pay(control, 9901, "15.00")
    control.post(
        "/v1/refunds",
        data={"charge": ids["charge"], "amount": "100"},
        headers={"Authorization": "Bearer sk_test_sim"},
    ).raise_for_status()
    state = sim(control, "GET", "/state").json()
    resources = {
        "charges": stripe.Charge,
        "payment_intents": stripe.PaymentIntent,
        "balance_transactions": stripe.BalanceTransaction,
        "payouts": stripe.Payout,
        "refunds": stripe.Refund,
        "customers": stripe.Customer,
        "events": stripe.Event,
    }
    for name, resource in resources.items():
        assert state[name], name
        for obj in state[name]:
            assert set(obj) <= set(resource.__annotations__), name
            assert isinstance(obj["created"], int)
    assert set(state["account"]) <= set(stripe.Account.__annotations__)
