"""The API actions, each a function from (state, form fields) to the JSON body WHMCS would send.

Action-level failures raise `ActionError`; the endpoint turns it into HTTP 200 with the error
envelope, because that is how WHMCS reports them. Request fields are read the way PHP reads
them (`php_int`, `php_bool`), so a sloppy client sees what it would see against the real thing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from payymo.money import MoneyError, parse_amount

from .clients import client_details, find_client
from .formats import parse_moment, php_bool, php_int
from .render import invoice_detail, invoice_row, transaction_row
from .state import Payment, SimInvoice, WhmcsState

Params = Mapping[str, str]
Handler = Callable[[WhmcsState, Params], dict[str, Any]]

DEFAULT_PAGE_SIZE = 25
WHMCS_VERSION = {"version": "8.0.0", "canonicalversion": "8.0.0-release.1"}
ADMIN_PERMISSIONS = (
    "Main Homepage,My Account,List Clients,View Clients Summary,List Invoices,Manage Invoice,"
    "List Transactions,Add Transaction,View Gateway Log,API Access"
)
_SORT_KEYS: dict[str, Callable[[SimInvoice], Any]] = {
    "id": lambda i: i.id,
    "invoicenumber": lambda i: i.invoicenum,
    "date": lambda i: i.date,
    "duedate": lambda i: i.duedate,
    "total": lambda i: i.total,
    "status": lambda i: i.status,
}


class ActionError(Exception):
    """An error WHMCS reports in the body with HTTP 200."""

    def __init__(self, message: str, *, key: str = "result") -> None:
        super().__init__(message)
        self.message = message
        self.key = key  # "status" for GetInvoice's 7.8 not-found quirk

    def body(self) -> dict[str, str]:
        return {self.key: "error", "message": self.message}


def run_action(state: WhmcsState, params: Params) -> dict[str, Any]:
    """Dispatch on `action`, matched case-insensitively, under the state lock."""
    handler = ACTIONS.get(params.get("action", "").strip().lower())
    if handler is None:
        raise ActionError("Command Not Found")
    with state.lock:
        return handler(state, params)


def get_invoices(state: WhmcsState, params: Params) -> dict[str, Any]:
    """One page of invoices, filtered by userid/status and ordered by orderby/order."""
    rows = _sorted(_select_invoices(state, params), params)
    start = max(php_int(params.get("limitstart")), 0)
    size = php_int(params.get("limitnum")) or DEFAULT_PAGE_SIZE
    if state.quirks.ignore_limitnum:
        size = DEFAULT_PAGE_SIZE
    page = rows[start : start + size]
    return {
        "result": "success",
        "totalresults": len(rows),
        "startnumber": start,
        "numreturned": len(rows) if state.quirks.numreturned_is_total else len(page),
        # WHMCS 7.8: an empty page is a bare list, not {"invoice": []}.
        "invoices": {"invoice": [invoice_row(state, i) for i in page]} if page else [],
    }


def get_invoice(state: WhmcsState, params: Params) -> dict[str, Any]:
    """One invoice with its balance, item and transactions."""
    invoice = state.invoices.get(php_int(params.get("invoiceid")))
    if invoice is None:
        raise ActionError("Invoice ID Not Found", key="status")
    return invoice_detail(state, invoice)


def add_invoice_payment(state: WhmcsState, params: Params) -> dict[str, Any]:
    """Record a payment; like WHMCS it never checks whether the transid was seen before."""
    invoice = state.invoices.get(php_int(params.get("invoiceid")))
    if invoice is None:
        raise ActionError("Invoice ID Not Found")
    if invoice.status == "Cancelled":
        raise ActionError("It is not possible to add a payment to an invoice that is Cancelled")
    if invoice.status == "Draft":
        raise ActionError("It is not possible to add a payment to an invoice that is a Draft")
    state.record_payment(invoice, _payment(state, params))
    return {"result": "success"}


def get_transactions(state: WhmcsState, params: Params) -> dict[str, Any]:
    """Every transaction matching invoiceid/clientid/transid; WHMCS does not paginate it."""
    invoiceid = php_int(params.get("invoiceid"))
    clientid = php_int(params.get("clientid"))
    # MySQL's default collation compares case-insensitively and ignores trailing spaces.
    transid = params.get("transid", "").rstrip().lower()
    rows = [
        t
        for t in state.transactions
        if (not invoiceid or t.invoiceid == invoiceid)
        and (not clientid or t.userid == clientid)
        and (not transid or t.transid.rstrip().lower() == transid)
    ]
    body: dict[str, Any] = {
        "result": "success",
        "totalresults": len(rows),
        "startnumber": 0,
        "numreturned": len(rows),
    }
    if rows:  # WHMCS 7.8 leaves the key out entirely when nothing matches
        body["transactions"] = {"transaction": [transaction_row(t) for t in rows]}
    return body


def get_clients_details(state: WhmcsState, params: Params) -> dict[str, Any]:
    """One client by clientid or email, with stats when asked."""
    clientid, email = php_int(params.get("clientid")), params.get("email", "")
    if not clientid and not email.strip():
        raise ActionError("Either clientid Or email Is Required")
    client = find_client(state, clientid=clientid, email=email)
    if client is None:
        raise ActionError("Client Not Found")
    return client_details(state, client, with_stats=php_bool(params.get("stats")))


def whmcs_details(state: WhmcsState, params: Params) -> dict[str, Any]:
    """The installation's version: a cheap way to check credentials."""
    return {"result": "success", "whmcs": dict(WHMCS_VERSION)}


def get_admin_details(state: WhmcsState, params: Params) -> dict[str, Any]:
    """The admin behind the API credentials."""
    return {
        "result": "success",
        "adminid": "1",
        "name": "Site Admin",
        "notes": "",
        "signature": "",
        "allowedpermissions": ADMIN_PERMISSIONS,
        "departments": ",1,",
        "whmcs": dict(WHMCS_VERSION),
    }


ACTIONS: dict[str, Handler] = {
    "getinvoices": get_invoices,
    "getinvoice": get_invoice,
    "addinvoicepayment": add_invoice_payment,
    "gettransactions": get_transactions,
    "getclientsdetails": get_clients_details,
    "whmcsdetails": whmcs_details,
    "getadmindetails": get_admin_details,
}


def _select_invoices(state: WhmcsState, params: Params) -> list[SimInvoice]:
    userid = php_int(params.get("userid"))
    status = params.get("status", "").strip().lower()
    rows = [i for i in state.invoices.values() if not userid or i.userid == userid]
    if status == "overdue":
        return [i for i in rows if state.is_overdue(i)]
    if status:  # compared case-insensitively, as MySQL does
        return [i for i in rows if i.status.lower() == status]
    return rows


def _sorted(rows: list[SimInvoice], params: Params) -> list[SimInvoice]:
    # Unknown orderby falls back to id; ties keep id order (sorted is stable, even reversed).
    key = _SORT_KEYS.get(params.get("orderby", "").strip().lower(), _SORT_KEYS["id"])
    descending = params.get("order", "").strip().lower() == "desc"
    return sorted(sorted(rows, key=lambda i: i.id), key=key, reverse=descending)


def _payment(state: WhmcsState, params: Params) -> Payment:
    transid, gateway = params.get("transid", "").strip(), params.get("gateway", "").strip()
    if not transid:
        raise ActionError("Transaction ID is required")
    if not gateway:
        raise ActionError("Payment gateway is required")
    return Payment(
        transid=transid,
        gateway=gateway,
        when=_payment_date(state, params.get("date", "")),
        amount=_money_field(params, "amount"),
        fees=_money_field(params, "fees") or Decimal("0.00"),
        noemail=php_bool(params.get("noemail")),
    )


def _payment_date(state: WhmcsState, text: str) -> datetime:
    if not text.strip():
        return state.now()
    try:
        return parse_moment(text)
    except ValueError:
        raise ActionError(f"Invalid date {text!r}: expected YYYY-MM-DD HH:mm:ss") from None


def _money_field(params: Params, name: str) -> Decimal | None:
    """A strictly parsed, positive amount; blank means "not given"."""
    text = params.get(name, "")
    if not text.strip():
        return None
    try:
        amount = parse_amount(text)
    except MoneyError:
        raise ActionError(f"Invalid {name}: {text!r}") from None
    if amount <= 0 and name == "amount":
        raise ActionError(f"Invalid {name}: {text!r} must be greater than zero")
    if amount < 0:
        raise ActionError(f"Invalid {name}: {text!r} must not be negative")
    return amount
