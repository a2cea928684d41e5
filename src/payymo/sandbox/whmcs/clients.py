"""GetClientsDetails: a world client dressed as a WHMCS client, with the optional stats block."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from payymo.sandbox.world import Client

from .formats import CURRENCIES, Currency, with_currency
from .state import SimInvoice, WhmcsState

# Where a client of each world country lives: (country name, phone code, city, state, postcode).
COUNTRY_DETAILS: dict[str, tuple[str, str, str, str, str]] = {
    "DE": ("Germany", "49", "Berlin", "Berlin", "10115"),
    "NL": ("Netherlands", "31", "Amsterdam", "Noord-Holland", "1011 AB"),
    "FR": ("France", "33", "Paris", "Île-de-France", "75001"),
    "ES": ("Spain", "34", "Madrid", "Madrid", "28001"),
    "IE": ("Ireland", "353", "Dublin", "Dublin", "D02 X285"),
    "GB": ("United Kingdom", "44", "London", "London", "EC1A 1BB"),
    "US": ("United States", "1", "New York", "New York", "10001"),
}
_EMAIL_PREFERENCES = ("general", "invoice", "support", "product", "domain", "affiliate")
_OFF_FLAGS = (
    "taxexempt",
    "latefeeoveride",  # sic: WHMCS spells these two with one "r"
    "overideduenotices",
    "separateinvoices",
    "disableautocc",
    "emailoptout",
    "marketing_emails_opt_in",
    "overrideautoclose",
)
_UUID_NAMESPACE = uuid.UUID("5b0c1f6e-8f0a-4d3e-9a47-2f1d6c0b7e11")
# Stats blocks counted by status: (count key, amount key, status).
_STATUS_STATS = (
    ("numpaidinvoices", "paidinvoicesamount", "Paid"),
    ("numcancelledinvoices", "cancelledinvoicesamount", "Cancelled"),
    ("numrefundedinvoices", "refundedinvoicesamount", "Refunded"),
    ("numcollectionsinvoices", "collectionsinvoicesamount", "Collections"),
    ("numpaymentpendinginvoices", "paymentpendinginvoicesamount", "Payment Pending"),
)
# The simulator sells no products, domains or quotes: these counters are all zero.
_PRODUCT_COUNTERS = (
    "productsnumactivehosting",
    "productsnumhosting",
    "productsnumactivereseller",
    "productsnumreseller",
    "productsnumactiveservers",
    "productsnumservers",
    "productsnumactiveother",
    "productsnumother",
    "productsnumactive",
    "productsnumtotal",
    "numactivedomains",
    "numdomains",
    "numacceptedquotes",
    "numquotes",
    "numtickets",
    "numactivetickets",
    "numaffiliatesignups",
)


def find_client(state: WhmcsState, *, clientid: int, email: str) -> Client | None:
    """By id, else by email (case-insensitive, as MySQL's collation compares it)."""
    if clientid:
        return state.clients.get(clientid)
    wanted = email.strip().lower()
    return next((c for c in state.clients.values() if c.email.lower() == wanted), None)


def client_details(state: WhmcsState, client: Client, *, with_stats: bool) -> dict[str, Any]:
    """The whole response: `client`, its fields again at top level (deprecated), maybe `stats`."""
    fields = client_fields(state.seed, client)
    body: dict[str, Any] = {"result": "success", **fields, "client": fields}
    if with_stats:
        body["stats"] = client_stats(state, client)
    return body


def client_fields(seed: int, client: Client) -> dict[str, Any]:
    """The `client` object, field for field as in the GetClientsDetails fixture."""
    return {**_identity(seed, client), **_contact(client), **_account(client)}


def client_stats(state: WhmcsState, client: Client) -> dict[str, Any]:
    """Invoice counts and sums of this client, money in the client's currency style."""
    currency = CURRENCIES[client.currency]
    invoices = [i for i in state.invoices.values() if i.userid == client.id]
    return {
        **_open_stats(state, invoices, currency),
        **_revenue_stats(state, client, currency),
        **_status_stats(state, invoices, currency),
        **dict.fromkeys(_PRODUCT_COUNTERS, 0),
        "isAffiliate": False,
    }


def _open_stats(
    state: WhmcsState, invoices: list[SimInvoice], currency: Currency
) -> dict[str, Any]:
    unpaid = [i for i in invoices if i.status == "Unpaid"]
    overdue = [i for i in unpaid if state.is_overdue(i)]
    drafts = [i for i in invoices if i.status == "Draft"]
    due = with_currency(_sum(state, unpaid, balance=True), currency)
    return {
        "numdueinvoices": len(unpaid),
        "dueinvoicesbalance": due,
        "numoverdueinvoices": len(overdue),
        "overdueinvoicesbalance": with_currency(_sum(state, overdue, balance=True), currency),
        "numDraftInvoices": len(drafts),
        "draftInvoicesBalance": with_currency(_sum(state, drafts, balance=False), currency),
        "numunpaidinvoices": len(unpaid),
        "unpaidinvoicesamount": due,
    }


def _revenue_stats(state: WhmcsState, client: Client, currency: Currency) -> dict[str, Any]:
    received = [t for t in state.transactions if t.userid == client.id]
    gross = sum((t.amountin for t in received), Decimal(0))
    costs = sum((t.fees + t.amountout for t in received), Decimal(0))
    return {
        "incredit": False,
        "creditbalance": with_currency(Decimal(0), currency),
        "grossRevenue": with_currency(gross, currency),
        "expenses": with_currency(Decimal(0), currency),
        "income": with_currency(gross - costs, currency),
    }


def _status_stats(
    state: WhmcsState, invoices: list[SimInvoice], currency: Currency
) -> dict[str, Any]:
    stats: dict[str, Any] = {}
    for count_key, amount_key, status in _STATUS_STATS:
        matching = [i for i in invoices if i.status == status]
        stats[count_key] = len(matching)
        stats[amount_key] = with_currency(_sum(state, matching, balance=False), currency)
    return stats


def _sum(state: WhmcsState, invoices: list[SimInvoice], *, balance: bool) -> Decimal:
    return sum((state.balance(i) if balance else i.total for i in invoices), Decimal(0))


def _identity(seed: int, client: Client) -> dict[str, Any]:
    return {
        "client_id": client.id,
        "owner_user_id": client.id,
        "userid": client.id,
        "id": client.id,
        "uuid": str(uuid.uuid5(_UUID_NAMESPACE, f"{seed}:{client.id}")),
        "firstname": client.firstname,
        "lastname": client.lastname,
        "fullname": f"{client.firstname} {client.lastname}",
        "companyname": client.companyname,
        "email": client.email,
    }


def _contact(client: Client) -> dict[str, Any]:
    country, phonecc, city, region, postcode = COUNTRY_DETAILS[client.country]
    phone = f"0{555000000 + client.id}"
    formatted = f"+{phonecc}.{phone.lstrip('0')}"
    return {
        "address1": f"{client.id} Example Street",
        "address2": "",
        "city": city,
        "fullstate": region,
        "state": region,
        "postcode": postcode,
        "countrycode": client.country,
        "country": client.country,
        "phonenumber": phone,
        "tax_id": "",
        "email_preferences": dict.fromkeys(_EMAIL_PREFERENCES, "1"),
        "statecode": region,
        "countryname": country,
        "phonecc": phonecc,
        "phonenumberformatted": formatted,
        "telephoneNumber": formatted,
    }


def _account(client: Client) -> dict[str, Any]:
    return {
        "billingcid": 0,
        "notes": "",
        "currency": CURRENCIES[client.currency].id,
        "defaultgateway": "",
        "groupid": 0,
        "status": "Active",
        "credit": "0.00",
        **dict.fromkeys(_OFF_FLAGS, False),
        "allowSingleSignOn": 1,
        "email_verified": True,
        "language": "",
        "isOptedInToMarketingEmails": False,
        "lastlogin": "No Login Logged",
        "currency_code": client.currency,
        # One custom field, so clients see the list-of-objects shape and its flat twin.
        "customfields": [{"id": 1, "value": _customer_number(client)}],
        "customfields1": _customer_number(client),
        "users": {"user": [_owner(client)]},
    }


def _customer_number(client: Client) -> str:
    return f"C{client.id:05d}"


def _owner(client: Client) -> dict[str, Any]:
    name = f"{client.firstname} {client.lastname}"
    return {"id": client.id, "name": name, "email": client.email, "is_owner": True}
