"""Test-only `/_sim` routes: add, book and drop transactions, force statuses, re-issue ids.

POST /_sim/accounts/<id>/transactions   [{amount, currency?, pending?, booking_date?,
                                          value_date?, remittance?, debtor_name?, ...,
                                          raw_amount?}]  (raw_amount: sent verbatim)
POST /_sim/transactions/<id>/book       {booking_date?, transaction_id?} plus overrides:
                                          the bank books it with other data
POST /_sim/transactions/<id>/drop       a pending transaction vanishes (cancelled)
POST /_sim/accounts/reissue-ids         {account_id?, institution_id?}: new account ids
                                          on the next consent that links them
POST /_sim/banks/reissue-ids            {account_id?, keep_internal_ids?}
POST /_sim/requisitions/<id>/status     {status}
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Blueprint, Response, jsonify, request

from payymo.sandbox.common import CONTROL_PREFIX
from payymo.sandbox.gocardless.lifecycle import force_status
from payymo.sandbox.gocardless.seed import money
from payymo.sandbox.gocardless.state import STATUSES, Account, Store, Transaction
from payymo.sandbox.gocardless.transactions import transaction_json
from payymo.sandbox.gocardless.web import store

bp = Blueprint("gocardless_control", __name__, url_prefix=CONTROL_PREFIX)


class ControlError(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@bp.errorhandler(ControlError)
def control_error(error: ControlError) -> tuple[Response, int]:
    return jsonify(error=str(error)), error.status


def _control_json(tx: Transaction) -> dict[str, Any]:
    return {
        "internal_id": tx.internal_id,
        "pending": tx.pending,
        "transaction": transaction_json(tx),
    }


def _amount(raw: Any) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise ControlError("amount must be a decimal string such as '-12.50'")
    try:
        return money(Decimal(str(raw)))
    except InvalidOperation as exc:
        raise ControlError(f"amount {raw!r} is not a decimal") from exc


def _day(raw: Any, default: date) -> date:
    if raw is None:
        return default
    try:
        return date.fromisoformat(str(raw))
    except ValueError as exc:
        raise ControlError(f"{raw!r} is not a YYYY-MM-DD date") from exc


def new_bank_id() -> str:
    return f"SIMX{uuid.uuid4().hex[:12].upper()}"


def _new_transaction(sim: Store, account: Account, raw: dict[str, Any]) -> Transaction:
    currency = str(raw.get("currency", account.currency)).upper()
    if currency != account.currency:
        raise ControlError(f"account {account.id} holds {account.currency}, not {currency}")
    pending = raw.get("pending") is True
    booking = None if pending else _day(raw.get("booking_date"), sim.today())
    raw_amount = raw.get("raw_amount")
    return Transaction(
        internal_id=uuid.uuid4().hex,
        transaction_id=None if pending else str(raw.get("transaction_id") or new_bank_id()),
        booking_date=booking,
        value_date=_day(raw.get("value_date"), booking or sim.today()),
        amount=_amount(raw.get("amount", None if raw_amount is None else "0")),
        currency=currency,
        counterparty_name=str(raw.get("debtor_name") or raw.get("creditor_name") or ""),
        counterparty_iban=str(raw.get("debtor_iban") or raw.get("creditor_iban") or ""),
        remittance=str(raw.get("remittance", "")),
        remittance_as_array=raw.get("remittance_array") is True,
        raw_amount=None if raw_amount is None else str(raw_amount),
    )


@bp.post("/accounts/<account_id>/transactions")
def add_transactions(account_id: str) -> tuple[Response, int]:
    sim = store()
    body = request.get_json(silent=True)
    items = [body] if isinstance(body, dict) else body
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ControlError("send a JSON list of transactions")
    with sim.lock:
        account = sim.data.accounts.get(account_id.lower())
        if account is None:
            raise ControlError(f"no account {account_id}", 404)
        added = [_new_transaction(sim, account, raw) for raw in items]
        account.transactions.extend(added)
    return jsonify(transactions=[_control_json(t) for t in added]), 201


def _find_transaction(sim: Store, internal_id: str) -> Transaction:
    for account in sim.data.accounts.values():
        for tx in account.transactions:
            if tx.internal_id == internal_id:
                return tx
    raise ControlError(f"no transaction {internal_id}", 404)


def _pending_transaction(sim: Store, internal_id: str) -> Transaction:
    tx = _find_transaction(sim, internal_id)
    if not tx.pending:
        raise ControlError(f"transaction {internal_id} is already booked", 409)
    return tx


def _override(tx: Transaction, body: dict[str, Any]) -> None:
    """What the bank changes when it books: amount, value date, text, counterparty."""
    if "amount" in body:
        tx.amount = _amount(body["amount"])
    tx.value_date = _day(body.get("value_date"), tx.value_date)
    tx.remittance = str(body.get("remittance", tx.remittance))
    name = body.get("debtor_name") or body.get("creditor_name")
    iban = body.get("debtor_iban") or body.get("creditor_iban")
    tx.counterparty_name = str(name) if name is not None else tx.counterparty_name
    tx.counterparty_iban = str(iban) if iban is not None else tx.counterparty_iban


@bp.post("/transactions/<internal_id>/book")
def book_transaction(internal_id: str) -> Response:
    """Pending becomes booked: same internal id, plus a bank id and booking date, and any
    overrides in the body (`amount`, `value_date`, `remittance`, `debtor_name`, ...)."""
    sim = store()
    body = request.get_json(silent=True) or {}
    with sim.lock:
        tx = _pending_transaction(sim, internal_id)
        _override(tx, body)
        tx.booking_date = _day(body.get("booking_date"), sim.today())
        tx.transaction_id = str(body.get("transaction_id") or new_bank_id())
        return jsonify(_control_json(tx))


@bp.post("/transactions/<internal_id>/drop")
def drop_transaction(internal_id: str) -> Response:
    """A pending transaction vanishes from the bank's lists, as a cancelled one does."""
    sim = store()
    with sim.lock:
        tx = _pending_transaction(sim, internal_id)
        for account in sim.data.accounts.values():
            account.transactions = [t for t in account.transactions if t is not tx]
        return jsonify(_control_json(tx))


@bp.post("/accounts/reissue-ids")
def reissue_account_ids() -> Response:
    """The bank will give these accounts (all, or one account's, or one institution's) new ids
    when a consent next links them, as some banks do on every reconnect."""
    sim = store()
    body = request.get_json(silent=True) or {}
    only_account, only_bank = body.get("account_id"), body.get("institution_id")
    with sim.lock:
        chosen = [
            account
            for account in sim.data.accounts.values()
            if only_account in (None, account.id) and only_bank in (None, account.institution_id)
        ]
        for account in chosen:
            account.new_id_on_link = True
    return jsonify(accounts=[account.id for account in chosen])


@bp.post("/requisitions/<requisition_id>/status")
def set_requisition_status(requisition_id: str) -> Response:
    sim = store()
    status = str((request.get_json(silent=True) or {}).get("status", "")).upper()
    if status not in STATUSES:
        raise ControlError(f"status must be one of {', '.join(STATUSES)}")
    with sim.lock:
        requisition = sim.data.requisitions.get(requisition_id.lower())
        if requisition is None:
            raise ControlError(f"no requisition {requisition_id}", 404)
        force_status(sim, requisition, status)
        return jsonify(id=requisition.id, status=requisition.status, accounts=requisition.accounts)


@bp.post("/banks/reissue-ids")
def reissue_ids() -> Response:
    """The bank re-numbers booked transactions (and GoCardless their internal ids, unless
    `keep_internal_ids`), so only a content hash still recognises them."""
    sim = store()
    body = request.get_json(silent=True) or {}
    only = body.get("account_id")
    with sim.lock:
        booked = [
            tx
            for account in sim.data.accounts.values()
            if only in (None, account.id)
            for tx in account.transactions
            if not tx.pending
        ]
        for tx in booked:
            tx.transaction_id = new_bank_id()
            if body.get("keep_internal_ids") is not True:
                tx.internal_id = uuid.uuid4().hex
    return jsonify(reissued=len(booked))
