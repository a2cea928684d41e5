"""The `/v1` routes. Each parses its request, calls one query or operation, and answers."""

from __future__ import annotations

from functools import partial

from flask import Flask, Response, current_app, g, jsonify, request

from payymo.sandbox.stripe.expand import expanded
from payymo.sandbox.stripe.idempotency import fingerprint, respond_idempotently
from payymo.sandbox.stripe.objects import StripeObject
from payymo.sandbox.stripe.params import Params, parse_form
from payymo.sandbox.stripe.payouts import balance
from payymo.sandbox.stripe.queries import RESOURCES, Resource, list_objects, retrieve
from payymo.sandbox.stripe.refunds import refund_charge
from payymo.sandbox.stripe.sim import StripeSimulator
from payymo.sandbox.stripe.state import StripeState

EXTENSION = "payymo.stripe"
REFUND_PARAMS = ("amount", "charge", "metadata", "payment_intent", "reason")


def current_sim() -> StripeSimulator:
    sim: StripeSimulator = current_app.extensions[EXTENSION]
    return sim


def request_params() -> Params:
    pairs = [*request.args.items(multi=True), *request.form.items(multi=True)]
    return Params(parse_form(pairs))


def list_view(resource: Resource) -> Response:
    params = request_params()
    with current_sim().session(request_id=g.request_id) as state:
        return jsonify(list_objects(state, resource, params))


def retrieve_view(resource: Resource, object_id: str) -> Response:
    params = request_params()
    with current_sim().session(request_id=g.request_id) as state:
        return jsonify(retrieve(state, resource.kind, object_id, params))


def create_refund() -> Response:
    params = request_params()
    params.reject_unknown(REFUND_PARAMS)
    key = request.headers.get("Idempotency-Key")
    sim = current_sim()
    with sim.session(request_id=g.request_id, idempotency_key=key) as state:
        return respond_idempotently(
            state,
            key,
            fingerprint(request.method, request.path, params),
            lambda: _refund(state, params, now=sim.now()),
        )


def _refund(state: StripeState, params: Params, *, now: int) -> StripeObject:
    created = refund_charge(
        state,
        charge_id=params.string("charge"),
        intent_id=params.string("payment_intent"),
        amount=params.integer("amount", low=1),
        reason=params.string("reason"),
        metadata=params.metadata(),
        now=now,
    )
    return expanded(created, params.expand(), state.find)


def get_account() -> Response:
    request_params().reject_unknown(())
    with current_sim().session(request_id=g.request_id) as state:
        return jsonify(state.account)


def get_balance() -> Response:
    request_params().reject_unknown(())
    with current_sim().session(request_id=g.request_id) as state:
        return jsonify(balance(state))


def register_api(app: Flask, sim: StripeSimulator) -> None:
    """Mount the Stripe API on `app`, served from `sim`."""
    app.extensions[EXTENSION] = sim
    for resource in RESOURCES:
        app.add_url_rule(
            resource.url, f"list_{resource.path}", partial(list_view, resource), methods=["GET"]
        )
        app.add_url_rule(
            f"{resource.url}/<object_id>",
            f"retrieve_{resource.path}",
            partial(retrieve_view, resource),
            methods=["GET"],
        )
    app.add_url_rule("/v1/refunds", "create_refund", create_refund, methods=["POST"])
    app.add_url_rule("/v1/account", "get_account", get_account, methods=["GET"])
    app.add_url_rule("/v1/balance", "get_balance", get_balance, methods=["GET"])
