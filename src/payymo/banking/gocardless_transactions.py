"""GoCardless transaction lists: each entry read on its own, so one bad entry spoils no other.

An entry that breaks the contract (a float or three-decimal amount, an unknown currency, text no
database can store) is quarantined: left out of the batch and reported with the reason, while the
call's good entries are stored as usual.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, StrictStr

from payymo.banking.gocardless_schemas import NAME_LENGTH, Iban, Id, IsoDate, Wire, parse
from payymo.banking.models import TransactionStatus
from payymo.banking.provider import ProviderTransaction, QuarantinedEntry, Quota, TransactionBatch
from payymo.integrations.errors import ProviderBadResponse
from payymo.money import Money, MoneyError, parse_amount


class AmountWire(Wire):
    amount: StrictStr
    currency: StrictStr


class AccountRef(Wire):
    iban: Iban | None = None


class TransactionWire(Wire):
    """One entry, in the Berlin Group field names GoCardless uses."""

    transactionId: Id | None = None
    internalTransactionId: Id | None = None
    bookingDate: IsoDate | None = None
    valueDate: IsoDate | None = None
    transactionAmount: AmountWire
    creditorName: StrictStr | None = None
    creditorAccount: AccountRef | None = None
    debtorName: StrictStr | None = None
    debtorAccount: AccountRef | None = None
    remittanceInformationUnstructured: StrictStr | None = None
    remittanceInformationUnstructuredArray: list[StrictStr] | None = None
    additionalInformation: StrictStr | None = None
    endToEndId: Annotated[StrictStr, Field(max_length=128)] | None = None
    bankTransactionCode: Annotated[StrictStr, Field(max_length=64)] | None = None


class TransactionLists(Wire):
    booked: list[Any] = Field(default_factory=list)
    pending: list[Any] | None = None  # None: the bank left the list out


class TransactionsWire(Wire):
    transactions: TransactionLists


def batch(lists: TransactionLists, quota: Quota) -> TransactionBatch:
    """The call's entries, booked first; malformed ones quarantined instead of failing it all."""
    booked, bad_booked = _read(lists.booked, TransactionStatus.BOOKED)
    pending, bad_pending = _read(lists.pending or [], TransactionStatus.PENDING)
    return TransactionBatch(
        tuple(booked + pending),
        quota,
        quarantined=tuple(bad_booked + bad_pending),
        pending_complete=lists.pending is not None and not bad_pending,
    )


def _read(
    entries: list[Any], status: TransactionStatus
) -> tuple[list[ProviderTransaction], list[QuarantinedEntry]]:
    good: list[ProviderTransaction] = []
    bad: list[QuarantinedEntry] = []
    for index, raw in enumerate(entries):
        try:
            good.append(transaction(raw, status))
        except ProviderBadResponse as exc:
            bad.append(QuarantinedEntry(status, index, _stated_id(raw), exc.message))
    return good, bad


def _stated_id(raw: Any) -> str | None:
    """The entry's own id, if it has a usable one: it helps find the entry at the bank."""
    if not isinstance(raw, dict):
        return None
    for key in ("internalTransactionId", "transactionId"):
        value = raw.get(key)
        if isinstance(value, str) and 0 < len(value) <= 128 and value.isprintable():
            return value
    return None


def transaction(raw: Any, status: TransactionStatus) -> ProviderTransaction:
    """One booked or pending entry, or ProviderBadResponse saying what is wrong with it."""
    wire = parse(TransactionWire, raw, f"{status.value} transaction")
    try:
        amount = Money(parse_amount(wire.transactionAmount.amount), wire.transactionAmount.currency)
    except MoneyError as exc:
        raise ProviderBadResponse(f"GoCardless sent an unusable amount: {exc}") from None
    credit = amount.amount >= 0
    name = wire.debtorName if credit else wire.creditorName
    account = wire.debtorAccount if credit else wire.creditorAccount
    return ProviderTransaction(
        status=status,
        internal_id=wire.internalTransactionId,
        transaction_id=wire.transactionId,
        booking_date=wire.bookingDate,
        value_date=wire.valueDate,
        amount=amount,
        counterparty_name=(name or "")[:NAME_LENGTH],
        counterparty_iban=account.iban if account else None,
        remittance=_remittance(wire),
        end_to_end_id=wire.endToEndId,
        bank_transaction_code=wire.bankTransactionCode,
        raw=raw,
    )


def _remittance(wire: TransactionWire) -> str:
    # Some banks fill only the array form, some only additionalInformation.
    if wire.remittanceInformationUnstructured:
        return wire.remittanceInformationUnstructured
    if wire.remittanceInformationUnstructuredArray:
        return " ".join(wire.remittanceInformationUnstructuredArray)
    return wire.additionalInformation or ""
