"""The WHMCS-specific part of the `/_sim` control API (the shared part is in sandbox.common).

    POST /_sim/invoices                 {"userid": 3, "total": "12.50", "currency": "EUR",
                                         "status": "Unpaid", "duedate": "2026-12-01", ...}
                                        -> 201 {"invoiceid": 1062}
    POST /_sim/invoices/<id>/status     {"status": "Cancelled"} -> {"invoiceid": .., "status": ..}
    GET  /_sim/quirks                   which optional WHMCS 7.8 quirks are on
    POST /_sim/quirks                   {"numreturned_is_total": true, "ignore_limitnum": true,
                                         "maintenance": true}

Bad input answers 400 (404 for an unknown invoice) with {"error": "..."}: these routes are for
tests, so they say plainly what is wrong instead of imitating WHMCS.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from flask import Flask, Response, jsonify, request

from payymo.money import MoneyError, parse_amount

from .formats import CURRENCIES, to_cents
from .state import INVOICE_STATUSES, Quirks, SimInvoice, WhmcsState

PREFIX = "/_sim"
QUIRK_NAMES = frozenset(f.name for f in fields(Quirks))
DEFAULT_TERM = timedelta(days=14)

Reply = Response | tuple[Response, int]


class ControlError(ValueError):
    """Bad input to a control route; answered with HTTP 400."""


def register_control(app: Flask, state: WhmcsState) -> None:
    """Add the invoice and quirk control routes for `state` to `app`."""
    _register_invoice_routes(app, state)
    _register_quirk_routes(app, state)


def _register_invoice_routes(app: Flask, state: WhmcsState) -> None:
    @app.post(f"{PREFIX}/invoices")
    def sim_add_invoice() -> Reply:
        body = _json_body()
        with state.lock:
            try:
                invoice = state.add_invoice(_new_invoice(state, body))
            except ControlError as exc:
                return jsonify(error=str(exc)), 400
        return jsonify(invoiceid=invoice.id), 201

    @app.post(f"{PREFIX}/invoices/<int:invoice_id>/status")
    def sim_set_status(invoice_id: int) -> Reply:
        with state.lock:
            invoice = state.invoices.get(invoice_id)
            if invoice is None:
                return jsonify(error=f"no invoice {invoice_id}"), 404
            try:
                status = _status(_json_body().get("status"))
            except ControlError as exc:
                return jsonify(error=str(exc)), 400
            state.set_status(invoice, status)
        return jsonify(invoiceid=invoice_id, status=status)


def _register_quirk_routes(app: Flask, state: WhmcsState) -> None:
    @app.get(f"{PREFIX}/quirks")
    def sim_quirks() -> Response:
        return jsonify(vars(state.quirks))

    @app.post(f"{PREFIX}/quirks")
    def sim_set_quirks() -> Reply:
        body = _json_body()
        unknown = set(body) - QUIRK_NAMES
        if unknown or not all(isinstance(v, bool) for v in body.values()):
            return jsonify(error=f"give booleans for {', '.join(sorted(QUIRK_NAMES))}"), 400
        with state.lock:
            for name, on in body.items():
                setattr(state.quirks, name, on)
        return jsonify(vars(state.quirks))


def _json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def _new_invoice(state: WhmcsState, body: dict[str, Any]) -> SimInvoice:
    client = state.clients.get(_int(body.get("userid"), "userid"))
    if client is None:
        raise ControlError(f"no client {body.get('userid')}")
    issued = _date(body.get("date"), "date", default=state.today())
    now = state.now()
    return SimInvoice(
        id=0,  # add_invoice assigns the next id
        userid=client.id,
        invoicenum=str(body.get("invoicenum", "")),
        date=issued,
        duedate=_date(body.get("duedate"), "duedate", default=issued + DEFAULT_TERM),
        total=_total(body.get("total")),
        currency=_currency(body.get("currency", client.currency)),
        status=_status(body.get("status", "Unpaid")),
        description=str(body.get("description", "Custom invoice")),
        paymentmethod=str(body.get("paymentmethod", "banktransfer")),
        created_at=now,
        updated_at=now,
    )


def _int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ControlError(f"{name} must be an integer")
    try:
        return int(value)
    except ValueError:
        raise ControlError(f"{name} must be an integer") from None


def _total(value: Any) -> Decimal:
    # A JSON float has already lost exactness; money must come as a string (or a whole int).
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ControlError('total must be a decimal string such as "12.50"')
    try:
        total = parse_amount(str(value))
    except MoneyError as exc:
        raise ControlError(str(exc)) from None
    if total <= 0:
        raise ControlError("total must be greater than zero")
    return to_cents(total)


def _currency(value: Any) -> str:
    code = str(value).upper()
    if code not in CURRENCIES:
        raise ControlError(f"currency must be one of {', '.join(CURRENCIES)}")
    return code


def _status(value: Any) -> str:
    by_lower = {s.lower(): s for s in INVOICE_STATUSES}
    status = by_lower.get(str(value).strip().lower())
    if status is None:
        raise ControlError(f"status must be one of {', '.join(INVOICE_STATUSES)}")
    return status


def _date(value: Any, name: str, *, default: date) -> date:
    if value is None:
        return default
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ControlError(f"{name} must be YYYY-MM-DD") from None
