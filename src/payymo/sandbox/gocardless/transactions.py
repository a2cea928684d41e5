"""Account data as GoCardless shapes it: transactions, balances and details."""

from __future__ import annotations

import textwrap
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from flask import request

from payymo.sandbox.gocardless.catalogue import find_institution
from payymo.sandbox.gocardless.errors import ApiError, field_error, field_errors
from payymo.sandbox.gocardless.seed import money
from payymo.sandbox.gocardless.state import Account, Transaction

REMITTANCE_LINE = 35  # SEPA splits unstructured remittance into 35-character lines
DATE_FORMAT = "%Y-%m-%d"


def transaction_json(tx: Transaction) -> dict[str, Any]:
    """One entry; pending ones carry no transactionId, internalTransactionId or bookingDate."""
    entry: dict[str, Any] = {}
    if tx.booking_date is not None:
        entry["transactionId"] = tx.transaction_id
        entry["internalTransactionId"] = tx.internal_id
        entry["bookingDate"] = tx.booking_date.isoformat()
    entry["valueDate"] = tx.value_date.isoformat()
    amount = tx.raw_amount if tx.raw_amount is not None else str(money(tx.amount))
    entry["transactionAmount"] = {"amount": amount, "currency": tx.currency}
    party = "debtor" if tx.amount >= 0 else "creditor"
    if tx.counterparty_name:
        entry[f"{party}Name"] = tx.counterparty_name
    if tx.counterparty_iban:
        entry[f"{party}Account"] = {"iban": tx.counterparty_iban}
    if tx.remittance_as_array:
        lines = textwrap.wrap(tx.remittance, REMITTANCE_LINE) or [tx.remittance]
        entry["remittanceInformationUnstructuredArray"] = lines
    else:
        entry["remittanceInformationUnstructured"] = tx.remittance
    entry["bankTransactionCode"] = "PMNT-RCDT-ESCT" if tx.amount >= 0 else "PMNT-ICDT-ESCT"
    return entry


def _date_arg(name: str, today: date, errors: dict[str, Any]) -> date | None:
    raw = request.args.get(name, "")
    if not raw:
        return None
    try:
        day = datetime.strptime(raw, DATE_FORMAT).date()  # noqa: DTZ007 - a calendar day
    except ValueError:
        errors[name] = field_error("Invalid date format", f"'{raw}' is not a valid YYYY-MM-DD date")
        return None
    if day > today:
        errors[name] = field_error(
            "Date can't be in future",
            f"'{day}' can't be greater than {today}. Specify correct date range",
        )
    return day


def _inverted(start: date, end: date) -> ApiError:
    error = {
        **field_error(
            "Incorrect date range",
            f"Starting date '{start}' is greater than end date '{end}'. Specify correct date range",
        ),
        "status_code": 400,
    }
    return field_errors({"date_from": error, "date_to": dict(error)})


def requested_range(today: date) -> tuple[date | None, date | None]:
    """`date_from`/`date_to` from the query, or the 400 GoCardless answers."""
    errors: dict[str, Any] = {}
    start, end = _date_arg("date_from", today, errors), _date_arg("date_to", today, errors)
    if errors:
        raise field_errors(errors)
    if start and end and start > end:
        raise _inverted(start, end)
    return start, end


def transactions_json(account: Account, *, today: date, history_days: int) -> dict[str, Any]:
    """Booked entries on `bookingDate` in range (newest first), plus every pending one."""
    start, end = requested_range(today)
    earliest = today - timedelta(days=history_days)
    start = max(start or earliest, earliest)
    end = end or today
    booked = [t for t in account.transactions if t.booking_date and start <= t.booking_date <= end]
    booked.sort(key=lambda t: t.booking_date or today, reverse=True)
    pending = [t for t in account.transactions if t.pending]
    return {
        "transactions": {
            "booked": [transaction_json(t) for t in booked],
            "pending": [transaction_json(t) for t in pending],
        }
    }


def _balance(amount: Decimal, currency: str, kind: str, day: date) -> dict[str, Any]:
    return {
        "balanceAmount": {"amount": str(money(amount)), "currency": currency},
        "balanceType": kind,
        "referenceDate": day.isoformat(),
    }


def balances_json(account: Account, *, today: date) -> dict[str, Any]:
    booked = account.opening_balance + sum(
        (t.amount for t in account.transactions if not t.pending), Decimal(0)
    )
    pending = sum((t.amount for t in account.transactions if t.pending), Decimal(0))
    return {
        "balances": [
            _balance(booked, account.currency, "closingBooked", today),
            _balance(booked + pending, account.currency, "interimAvailable", today),
        ]
    }


def details_json(account: Account) -> dict[str, Any]:
    institution = find_institution(account.institution_id)
    return {
        "account": {
            "resourceId": account.id.replace("-", "")[:24],
            "iban": account.iban,
            "currency": account.currency,
            "ownerName": account.owner_name,
            "name": account.name,
            "product": "Business Current Account",
            "cashAccountType": "CACC",
            "status": "enabled",
            "bic": institution.bic if institution else "",
            "usage": "ORGA",
        }
    }
