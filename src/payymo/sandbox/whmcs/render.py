"""Invoices and transactions in the exact shapes of the recorded WHMCS responses.

Value types follow the fixtures in /work/shared/fixtures/whmcs, not what would be tidy: GetInvoices
gives ids as numbers, GetTransactions gives every field as a string, money is always a string.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import Any

from .formats import CURRENCIES, day, moment, money
from .state import SimInvoice, SimTransaction, WhmcsState

CARD_GATEWAYS = frozenset({"stripe"})


def invoice_row(state: WhmcsState, invoice: SimInvoice) -> dict[str, Any]:
    """One entry of GetInvoices' `invoices.invoice` (no `balance`, as in WHMCS)."""
    client = state.clients[invoice.userid]
    currency = CURRENCIES[invoice.currency]
    return {
        "id": invoice.id,
        "userid": invoice.userid,
        "firstname": client.firstname,
        "lastname": client.lastname,
        "companyname": client.companyname,
        "invoicenum": invoice.invoicenum,
        "date": day(invoice.date),
        "duedate": day(invoice.duedate),
        "datepaid": moment(invoice.datepaid),
        "last_capture_attempt": moment(None),
        "date_refunded": moment(invoice.date_refunded),
        "date_cancelled": moment(invoice.date_cancelled),
        **_amounts(invoice),
        "status": invoice.status,
        "paymentmethod": invoice.paymentmethod,
        "paymethodid": None,
        "notes": "",
        "created_at": moment(invoice.created_at),
        "updated_at": moment(invoice.updated_at),
        "currencycode": currency.code,
        "currencyprefix": currency.prefix,
        "currencysuffix": currency.suffix,
    }


def invoice_detail(state: WhmcsState, invoice: SimInvoice) -> dict[str, Any]:
    """The GetInvoice body; `transactions` is "" when there are none (WHMCS's own quirk)."""
    transactions = [transaction_row(t) for t in state.transactions_of(invoice.id)]
    amounts = _amounts(invoice)
    return {
        "result": "success",
        "invoiceid": invoice.id,
        "invoicenum": invoice.invoicenum,
        "userid": invoice.userid,
        "date": day(invoice.date),
        "duedate": day(invoice.duedate),
        "datepaid": moment(invoice.datepaid),
        "lastcaptureattempt": moment(None),
        **{k: amounts[k] for k in ("subtotal", "credit", "tax", "tax2", "total")},
        "balance": money(state.balance(invoice)),
        **{k: amounts[k] for k in ("taxrate", "taxrate2")},
        "status": invoice.status,
        "paymentmethod": invoice.paymentmethod,
        "notes": "",
        "ccgateway": invoice.paymentmethod in CARD_GATEWAYS,
        "items": {"item": [_item(invoice)]},
        "transactions": {"transaction": transactions} if transactions else "",
    }


def transaction_row(transaction: SimTransaction) -> dict[str, str]:
    """A tblaccounts row: every value a string, `currency` "0" because it follows the client."""
    return {
        "id": str(transaction.id),
        "userid": str(transaction.userid),
        "currency": "0",
        "gateway": transaction.gateway,
        "date": moment(transaction.date),
        "description": transaction.description,
        "amountin": money(transaction.amountin),
        "fees": money(transaction.fees),
        "amountout": money(transaction.amountout),
        "rate": "1.00000",
        "transid": transaction.transid,
        "invoiceid": str(transaction.invoiceid),
        "refundid": "0",
    }


def dump_state(state: WhmcsState) -> dict[str, Any]:
    """Everything a test may want to assert on, balances included; for GET /_sim/state."""
    with state.lock:
        return {
            "seed": state.seed,
            "today": day(state.today()),
            "clients": [
                {"id": c.id, "email": c.email, "currency": c.currency}
                for c in state.clients.values()
            ],
            "invoices": [
                {
                    **invoice_row(state, invoice),
                    "balance": money(state.balance(invoice)),
                    "overdue": state.is_overdue(invoice),
                }
                for invoice in state.invoices.values()
            ],
            "transactions": [transaction_row(t) for t in state.transactions],
            "emails": list(state.emails),
            "quirks": vars(state.quirks).copy(),
        }


def _amounts(invoice: SimInvoice) -> dict[str, str]:
    # The simulator bills without tax or credit, so subtotal == total.
    return {
        "subtotal": money(invoice.total),
        "credit": "0.00",
        "tax": "0.00",
        "tax2": "0.00",
        "total": money(invoice.total),
        "taxrate": "0.000",
        "taxrate2": "0.000",
    }


def _item(invoice: SimInvoice) -> dict[str, Any]:
    """The single line item, described with its period as WHMCS writes it."""
    period_end = _one_month_later(invoice.date) - timedelta(days=1)
    return {
        "id": invoice.id,
        "type": _item_type(invoice.description),
        "relid": invoice.id,
        "description": f"{invoice.description} ({invoice.date:%d/%m/%Y} - {period_end:%d/%m/%Y})",
        "amount": money(invoice.total),
        "taxed": 0,
    }


def _item_type(description: str) -> str:
    if description.startswith("Domain renewal"):
        return "DomainRenew"
    if description.startswith("SSL"):
        return "Addon"
    return "Hosting"


def _one_month_later(start: date) -> date:
    year, month = (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))
