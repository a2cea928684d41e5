"""Reading the offline CLI's input files into engine values, and writing its decisions.

INVOICES.json is a WHMCS `GetInvoices` body (any status; an optional `balance` overrides
`total`); TX.json is a GoCardless `/accounts/{id}/transactions/` body. Amounts are parsed
strictly as decimal strings; anything else is an `InputError` naming what is wrong.

Only what `payymo reconcile` needs is imported here, so that the command starts quickly.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

import orjson

from payymo.money import (
    MAX_MINOR,
    Money,
    MoneyError,
    format_minor,
    minor_digits,
    parse_amount,
    parse_currency,
)
from payymo.reconciliation.engine import (
    Decision,
    EngineInvoice,
    EngineTransaction,
    Rules,
    Status,
)
from payymo.reconciliation.engine.batch import collector_paused

T = TypeVar("T")
TEXT_FIELDS = (
    "remittanceInformationUnstructured",
    "remittanceInformationStructured",
    "additionalInformation",
)
ARRAY_FIELDS = ("remittanceInformationUnstructuredArray", "remittanceInformationStructuredArray")


class InputError(ValueError):
    """An input file that is not what it should be; the message says where."""


# Plain amounts ("12.30", "-5", ".5") are read here with integer arithmetic; anything else
# (another script's digits, an absurd size, too many decimals) goes through `Money`, which
# accepts or refuses it and says why.
_PLAIN_AMOUNT = re.compile(r"([+-]?)([0-9]{0,15})(?:\.([0-9]*))?")


def _minor(value: Any, currency: str) -> int:
    """Integer minor units; an `InputError` (without saying where) for anything else."""
    if not isinstance(value, str):
        raise InputError(f"amount must be a decimal string, got {type(value).__name__}")
    plain = _PLAIN_AMOUNT.fullmatch(value.strip())
    if plain is not None:
        sign, whole, fraction = plain.groups("")
        digits = minor_digits(currency)
        if (whole or fraction) and not fraction[digits:].strip("0"):
            minor = int(whole + fraction[:digits].ljust(digits, "0") or "0")
            if minor <= MAX_MINOR:
                return -minor if sign == "-" else minor
    try:
        return Money(parse_amount(value), currency).to_minor()
    except MoneyError as exc:
        raise InputError(str(exc)) from None


@lru_cache(maxsize=256)
def _currency(code: str) -> str:
    return parse_currency(code)


def _day(value: Any) -> date | None:
    return _iso_day(value) if isinstance(value, str) else None


@lru_cache(maxsize=4096)  # a statement covers a few hundred days
def _iso_day(value: str) -> date | None:
    if not value or value.startswith("0000"):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def parse_invoices(body: Any) -> list[EngineInvoice]:
    if not isinstance(body, dict) or body.get("result") != "success":
        raise InputError('not a GetInvoices response: expected {"result": "success", ...}')
    container = body.get("invoices")
    rows = container.get("invoice", []) if isinstance(container, dict) else container
    if not isinstance(rows, list):
        raise InputError("invoices.invoice must be a list")
    with collector_paused():
        return [_invoice(row, n) for n, row in enumerate(rows)]


def _identifier(value: Any, where: str) -> str:
    """An id as text: a string or a whole number. A fraction (or an integer too large for
    orjson, which reads it as a float) is refused: two different ids must never read alike."""
    if type(value) is str:
        return value
    if type(value) is int:
        return str(value)
    raise InputError(f"{where} must be a string or a whole number, got {type(value).__name__}")


def _invoice(row: Any, n: int) -> EngineInvoice:
    if not isinstance(row, dict) or "id" not in row:
        raise InputError(f"invoice #{n + 1}: expected an object with an id")
    invoice_id = _identifier(row["id"], f"invoice #{n + 1}: id")
    try:
        currency = _currency(str(row.get("currencycode", "")))
    except MoneyError as exc:
        raise InputError(f"invoice #{n + 1} (id {row['id']}): {exc}") from None
    try:
        total = _minor(row.get("total"), currency)
    except InputError as exc:
        raise InputError(f"invoice #{n + 1} (id {row['id']}) total: {exc}") from None
    try:
        balance = total if "balance" not in row else _minor(row["balance"], currency)
    except InputError as exc:
        raise InputError(f"invoice #{n + 1} balance: {exc}") from None
    return EngineInvoice(
        id=invoice_id,
        number=str(row.get("invoicenum") or ""),
        client_id=_identifier(row.get("userid", ""), f"invoice #{n + 1}: userid"),
        client_name=f"{row.get('firstname', '')} {row.get('lastname', '')}".strip(),
        company_name=str(row.get("companyname") or ""),
        status=str(row.get("status", "")),
        currency=currency,
        total_minor=total,
        balance_minor=balance,
        issued=_day(row.get("date")),
        due=_day(row.get("duedate")),
    )


def parse_transactions(body: Any) -> list[EngineTransaction]:
    if not isinstance(body, dict) or not isinstance(body.get("transactions"), dict):
        raise InputError('not a transactions response: expected {"transactions": {...}}')
    lists = body["transactions"]
    found = []
    with collector_paused():
        for booked, key in ((True, "booked"), (False, "pending")):
            items = lists.get(key, [])
            if not isinstance(items, list):
                raise InputError(f"transactions.{key} must be a list")
            found += [_transaction(item, booked, key, n) for n, item in enumerate(items)]
    return found


def _transaction(item: Any, booked: bool, key: str, n: int) -> EngineTransaction:
    if not isinstance(item, dict) or not isinstance(money := item.get("transactionAmount"), dict):
        raise InputError(f"{key} #{n + 1}: missing transactionAmount")
    # A million rows come through here: each field is read once, and the usual case (a bank
    # id) skips the search for another.
    get = item.get
    try:
        currency = _currency(str(money.get("currency", "")))
        amount = _minor(money.get("amount"), currency)
    except (MoneyError, InputError) as exc:
        raise InputError(f"{key} #{n + 1}: {exc}") from None
    credit = amount > 0
    account = get("debtorAccount" if credit else "creditorAccount")
    bank_id = get("transactionId")
    return EngineTransaction(
        id=_identifier(bank_id, f"{key} #{n + 1}: transactionId")
        if bank_id
        else transaction_id(item, where=f"{key} #{n + 1}: "),
        booked=booked,
        amount_minor=amount,
        currency=currency,
        day=_day(get("bookingDate") or get("valueDate")),
        text=_text(get),
        counterparty=str(get("debtorName" if credit else "creditorName") or ""),
        counterparty_iban=account.get("iban") if isinstance(account, dict) else None,
    )


def transaction_id(item: dict[str, Any], *, where: str = "") -> str:
    """The bank's id, else its entry reference, else a hash of the content (stable)."""
    for key in ("transactionId", "internalTransactionId", "entryReference"):
        if item.get(key):
            return _identifier(item[key], where + key)
    digest = hashlib.sha256(json.dumps(item, sort_keys=True).encode()).hexdigest()[:24]
    return f"derived-{digest}"


def _text(get: Callable[[str], Any]) -> str:
    parts = []
    for key in TEXT_FIELDS:
        if value := get(key):
            parts.append(str(value))
    for key in ARRAY_FIELDS:
        if isinstance(lines := get(key), list):
            parts.append(" ".join(map(str, lines)))
    return " ".join(parts)


def decisions_body(decisions: list[Decision]) -> dict[str, Any]:
    with collector_paused():
        return {"decisions": [_decision_json(d) for d in decisions]}


def _decision_json(d: Decision) -> dict[str, Any]:
    # Plain loops: a comprehension per decision costs more than the few items it builds.
    allocations = []
    for a in d.allocations:
        amount = format_minor(a.amount_minor + a.fee_minor, d.currency)
        allocations.append({"invoice_id": a.invoice_id, "amount": amount})
    reasons = []
    for r in d.reasons:
        reasons.append(f"{r.code}: {r.text}")
    return {
        "transaction_id": d.transaction_id,
        "status": str(d.status),
        "allocations": allocations,
        "confidence": d.confidence,
        "reasons": reasons,
    }


def write_decisions(path: Path, decisions: list[Decision]) -> None:
    """DECISIONS.json: `decisions_body`, amounts as decimal strings."""
    try:
        # orjson asks for each decision's dict as it writes: a million are never held at once.
        data = orjson.dumps(
            {"decisions": decisions},
            default=_decision_json,
            option=orjson.OPT_PASSTHROUGH_DATACLASS,
        )
    except orjson.JSONEncodeError:  # a lone surrogate, which only the standard library writes
        data = json.dumps(decisions_body(decisions)).encode()
    path.write_bytes(data)


def load_json(path: Path) -> Any:
    """A JSON file, or an InputError naming it and saying what is wrong."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: {exc.strerror or exc}") from None
    try:
        with collector_paused():
            return _decode(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not valid JSON ({exc})") from None
    except RecursionError:
        raise InputError(f"{path}: not valid JSON (nested too deeply)") from None


def _decode(data: bytes) -> Any:
    # orjson is faster, but refuses some files the standard library reads (a byte order mark,
    # UTF-16, NaN, lone surrogates); those, and files that are not JSON at all, go to the
    # standard library, so that they read, or are refused with the same message, as before.
    # One difference remains: orjson reads an integer beyond 64 bits as a float (amounts are
    # strings, so such a number is refused either way; no id or date holds one).
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)


def read(path: Path, parse: Callable[[Any], list[T]]) -> list[T]:
    """Parse the JSON file at `path`; any error names the file."""
    body = load_json(path)
    try:
        return parse(body)
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from None


def load_rules(path: Path | None) -> Rules:
    """Rules from a TOML file: auto_threshold, min_margin, fee_tolerance ("1.50", in the
    payment's currency with two decimals), reference_patterns (regexes; group 1 = number)."""
    if path is None:
        return Rules()
    # Only a rules file needs pydantic and the tenant schemas (which load SQLAlchemy).
    from pydantic import ValidationError  # noqa: PLC0415

    from payymo.reconciliation.rules import engine_rules  # noqa: PLC0415
    from payymo.tenants.schemas import MatchingRules  # noqa: PLC0415

    try:
        with path.open("rb") as handle:
            raw = tomllib.load(handle)
    except OSError as exc:
        raise InputError(f"{path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not valid TOML ({exc})") from None
    try:
        checked = MatchingRules.model_validate({k: v for k, v in raw.items() if k != "auto_post"})
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InputError(f"{path}: {'.'.join(map(str, first['loc']))}: {first['msg']}") from None
    return engine_rules(checked)


def summary(decisions: list[Decision]) -> list[str]:
    """Counts per status and the amount automatically allocated, per currency."""
    counts = Counter(str(d.status) for d in decisions)
    allocated: dict[str, int] = defaultdict(int)
    for d in decisions:
        if d.status is Status.AUTO:
            allocated[d.currency] += sum(a.amount_minor + a.fee_minor for a in d.allocations)
    lines = [
        f"{status:<10} {counts.get(status, 0):>9}"
        for status in ("auto", "review", "unmatched", "ignored")
    ]
    lines.append(f"{'total':<10} {len(decisions):>9}")
    lines += [f"auto-allocated {Money.from_minor(v, c)}" for c, v in sorted(allocated.items())]
    return lines
