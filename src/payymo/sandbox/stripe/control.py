"""Test-only `/_sim` routes: take payments, run payouts, and replay webhooks."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from flask import Flask, Response, jsonify, request

from payymo.money import parse_amount
from payymo.sandbox.common import CONTROL_PREFIX
from payymo.sandbox.stripe.api import current_sim
from payymo.sandbox.stripe.payments import record_card_payment
from payymo.sandbox.stripe.payouts import run_payouts
from payymo.sandbox.world import CardPayment

Answer = Response | tuple[Response, int]
REQUIRED = ("invoice_id", "amount", "currency", "email")


def create_payment() -> Answer:
    """A succeeded card payment for one invoice, with its webhooks; answers with the ids."""
    sim = current_sim()
    try:
        payment = _card_payment(request.get_json(silent=True) or {}, sim.clock.now())
        with sim.session() as state:
            recorded = record_card_payment(state, payment)
    except (ValueError, TypeError) as exc:
        return jsonify(error=str(exc)), 400
    return jsonify(asdict(recorded)), 201


def _card_payment(body: dict[str, Any], now: datetime) -> CardPayment:
    missing = [name for name in REQUIRED if body.get(name) in (None, "")]
    if missing:
        raise ValueError(f"missing fields: {', '.join(missing)}")
    if not isinstance(body["amount"], str):
        raise TypeError('amount must be a decimal string such as "12.30"')
    created = datetime.fromisoformat(body["created"]) if body.get("created") else now
    if created.tzinfo is None:
        raise ValueError("created must carry a UTC offset")
    if not str(body["invoice_id"]).isdigit():
        raise ValueError("invoice_id must be a positive integer")
    invoice_id = int(str(body["invoice_id"]))
    email = str(body["email"])
    return CardPayment(
        invoice_id=invoice_id,
        amount=parse_amount(body["amount"]),
        currency=str(body["currency"]),
        created=created,
        customer_name=str(body.get("name") or email.split("@", maxsplit=1)[0]),
        customer_email=email,
        description=str(body.get("description") or f"Invoice #{invoice_id}"),
    )


def run_payouts_now() -> Answer:
    """Sweep available balance into automatic payouts that arrive now (`payout.paid`)."""
    sim = current_sim()
    with sim.session() as state:
        now = sim.now()
        payouts = run_payouts(state, now=now, arrival=now)
    return jsonify(payouts=payouts), 200


def resend_event(event_id: str) -> Answer:
    """Deliver an event again, as Stripe does when it retries or a developer resends."""
    sim = current_sim()
    if sim.webhooks is None:
        return jsonify(error="this simulator has no webhook_url"), 409
    with sim.session() as state:
        event = state["event"].get(event_id)
    if event is None:
        return jsonify(error=f"no such event: {event_id}"), 404
    sim.webhooks.enqueue(event)
    return jsonify(event=event_id), 202


def list_deliveries() -> Answer:
    webhooks = current_sim().webhooks
    return jsonify(
        url=webhooks.url if webhooks else None,
        deliveries=webhooks.deliveries() if webhooks else [],
    )


def register_control(app: Flask) -> None:
    """The Stripe-specific control routes, next to `install_sim_support`'s."""
    routes = (
        ("/payments", create_payment, "POST"),
        ("/payouts/run", run_payouts_now, "POST"),
        ("/webhooks/resend/<event_id>", resend_event, "POST"),
        ("/webhooks/deliveries", list_deliveries, "GET"),
    )
    for path, view, method in routes:
        app.add_url_rule(f"{CONTROL_PREFIX}{path}", f"sim_{view.__name__}", view, methods=[method])
