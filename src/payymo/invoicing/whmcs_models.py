"""Typed WHMCS responses: what `invoicing.whmcs.WhmcsClient` returns.

WHMCS sends numbers as strings (or not: ids come both ways), money as decimal strings, unset
dates as the MySQL zero date and empty lists as `[]`, `""` or no key at all. The validators
here absorb exactly that and nothing looser: money is parsed with `parse_amount`, never through
a float, and an unknown status or currency is an error rather than a guess. Unknown keys are
ignored, because every WHMCS release adds some.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from payymo.invoicing.models import InvoiceStatus
from payymo.money import parse_amount, parse_currency

ZERO_DATES = frozenset({"", "0000-00-00", "0000-00-00 00:00:00"})
DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def _amount(value: object) -> Decimal:
    # A JSON float has already lost exactness; WHMCS prints money as a string.
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError("money must be a decimal string")
    return parse_amount(str(value))


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError("expected text")
    return str(value)


def _day(value: object) -> date | None:
    if value is None or (isinstance(value, str) and value.strip() in ZERO_DATES):
        return None
    if not isinstance(value, str):
        raise ValueError("expected a YYYY-MM-DD date")
    text = value.strip()
    if len(text) > 10:  # a DATETIME where a DATE was expected: the day is what counts
        return datetime.strptime(text, DATETIME_FORMAT).date()  # noqa: DTZ007 - date only
    return date.fromisoformat(text)


def _moment(value: object) -> datetime | None:
    """A DATETIME column; WHMCS stores naive server time, which Payymo takes as UTC."""
    if value is None or (isinstance(value, str) and value.strip() in ZERO_DATES):
        return None
    if not isinstance(value, str):
        raise ValueError("expected a YYYY-MM-DD HH:MM:SS datetime")
    text = value.strip()
    if len(text) == 10:  # some columns are plain dates
        return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
    return datetime.strptime(text, DATETIME_FORMAT).replace(tzinfo=UTC)


def _currency(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("expected an ISO 4217 currency code")
    return parse_currency(value)


def _list_under(key: str) -> Any:
    """WHMCS wraps lists as {key: [...]}, but sends `[]`, `""` or null when there are none."""

    def unwrap(value: object) -> object:
        if value is None or value in ("", []):
            return []
        if isinstance(value, dict) and isinstance(value.get(key), list):
            return value[key]
        raise ValueError(f'expected {{"{key}": [...]}} or an empty value')

    return BeforeValidator(unwrap)


Amount = Annotated[Decimal, BeforeValidator(_amount)]
Text = Annotated[str, BeforeValidator(_text)]
Day = Annotated[date | None, BeforeValidator(_day)]
Moment = Annotated[datetime | None, BeforeValidator(_moment)]
Currency = Annotated[str, BeforeValidator(_currency)]


class WhmcsModel(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class WhmcsTransaction(WhmcsModel):
    """A row of GetTransactions or of GetInvoice's `transactions`."""

    id: int
    client_id: int = Field(alias="userid")
    invoice_id: int = Field(default=0, alias="invoiceid")
    gateway: Text = ""
    at: Moment = Field(default=None, alias="date")
    description: Text = ""
    amount_in: Amount = Field(alias="amountin")
    fees: Amount = Decimal(0)
    amount_out: Amount = Field(default=Decimal(0), alias="amountout")
    transid: Text = ""


class WhmcsInvoiceRow(WhmcsModel):
    """One entry of GetInvoices: no balance (WHMCS does not list it), but the currency."""

    id: int
    client_id: int = Field(alias="userid")
    firstname: Text = ""
    lastname: Text = ""
    company_name: Text = Field(default="", alias="companyname")
    invoice_num: Text = Field(default="", alias="invoicenum")
    issued_on: Day = Field(default=None, alias="date")
    due_on: Day = Field(default=None, alias="duedate")
    paid_at: Moment = Field(default=None, alias="datepaid")
    updated_at: Moment = None
    total: Amount
    status: InvoiceStatus
    payment_method: Text = Field(default="", alias="paymentmethod")
    currency: Currency = Field(alias="currencycode")
    raw: dict[str, Any]

    @model_validator(mode="before")
    @classmethod
    def _keep_raw(cls, data: Any) -> Any:
        return {**data, "raw": dict(data)} if isinstance(data, dict) else data

    @property
    def client_name(self) -> str:
        return f"{self.firstname} {self.lastname}".strip()


class WhmcsInvoicePage(WhmcsModel):
    total_results: int = Field(alias="totalresults")
    invoices: Annotated[list[WhmcsInvoiceRow], _list_under("invoice")]


class WhmcsInvoice(WhmcsModel):
    """GetInvoice: the one place WHMCS says what is still owed (`balance`)."""

    id: int = Field(alias="invoiceid")
    client_id: int = Field(alias="userid")
    invoice_num: Text = Field(default="", alias="invoicenum")
    issued_on: Day = Field(default=None, alias="date")
    due_on: Day = Field(default=None, alias="duedate")
    paid_at: Moment = Field(default=None, alias="datepaid")
    total: Amount
    balance: Amount
    status: InvoiceStatus
    payment_method: Text = Field(default="", alias="paymentmethod")
    transactions: Annotated[list[WhmcsTransaction], _list_under("transaction")] = []


class WhmcsTransactionList(WhmcsModel):
    # WHMCS 7.8 leaves `transactions` out entirely when nothing matches.
    transactions: Annotated[list[WhmcsTransaction], _list_under("transaction")] = []


class WhmcsClientDetails(WhmcsModel):
    """GetClientsDetails' `client` object (the deprecated top-level copy is ignored)."""

    id: int
    firstname: Text = ""
    lastname: Text = ""
    company_name: Text = Field(default="", alias="companyname")
    email: Text = ""
    currency_code: Text = ""
    status: Text = ""
    credit: Amount = Decimal(0)


class WhmcsVersion(WhmcsModel):
    version: Text = ""


class WhmcsIdentity(WhmcsModel):
    """GetAdminDetails: who the credentials belong to, and the WHMCS version."""

    admin_id: int = Field(alias="adminid")
    name: Text = ""
    allowed_permissions: Text = Field(default="", alias="allowedpermissions")
    whmcs: WhmcsVersion = WhmcsVersion()

    @property
    def version(self) -> str:
        return self.whmcs.version
