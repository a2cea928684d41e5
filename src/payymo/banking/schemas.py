"""Transaction API models: bank accounts and their transactions."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field, field_validator

from payymo.api.pagination import PageQuery
from payymo.api.schemas import ApiModel, MoneyOut, Page
from payymo.banking.models import AccountSource, BankAccount, BankTransaction, TransactionStatus
from payymo.masking import mask_iban
from payymo.money import MoneyError, format_minor, parse_amount
from payymo.reconciliation.models import DecisionState, DecisionStatus


class BankAccountOut(ApiModel):
    id: uuid.UUID
    name: str
    source: AccountSource
    iban: str | None = Field(description="Masked unless requested with reveal=true by an admin")
    currency: str
    owner_name: str
    whmcs_gateway: str
    is_active: bool
    last_synced_at: datetime | None
    next_sync_allowed_at: datetime | None

    @classmethod
    def of(cls, account: BankAccount, *, reveal: bool = False) -> BankAccountOut:
        return cls(
            id=account.id,
            name=account.name,
            source=account.source,
            iban=account.iban if reveal else mask_iban(account.iban),
            currency=account.currency,
            owner_name=account.owner_name,
            whmcs_gateway=account.whmcs_gateway,
            is_active=account.is_active,
            last_synced_at=account.last_synced_at,
            next_sync_allowed_at=account.next_sync_allowed_at,
        )


class BankAccountList(ApiModel):
    data: list[BankAccountOut]


class RevealQuery(ApiModel):
    reveal: bool = Field(default=False, description="Show the full IBAN (admins; audited)")


class ReasonOut(ApiModel):
    code: str
    text: str


class AllocationOut(ApiModel):
    invoice_id: uuid.UUID
    amount: MoneyOut
    fee: MoneyOut


class DecisionOut(ApiModel):
    id: uuid.UUID
    status: DecisionStatus
    state: DecisionState
    confidence: Decimal
    shadow: bool
    reasons: list[ReasonOut]
    allocations: list[AllocationOut]
    created_at: datetime


class TransactionOut(ApiModel):
    id: uuid.UUID
    account_id: uuid.UUID
    status: TransactionStatus
    transaction_date: date
    booking_date: date | None
    value_date: date | None
    amount: MoneyOut
    direction: Literal["credit", "debit"]
    counterparty_name: str
    counterparty_iban: str | None
    remittance: str

    @classmethod
    def of(cls, tx: BankTransaction) -> TransactionOut:
        return cls.model_validate(transaction_fields(tx))


def transaction_fields(tx: Any) -> dict[str, Any]:
    """`TransactionOut`'s fields, in its order, of a transaction or a list row.

    Lists serialise these directly: a page is fifty rows the database already typed, and
    validating a model per row cost more than the query. Tests hold both to one shape.
    """
    minor, currency = tx.amount_minor, tx.currency
    return {
        "id": tx.id,
        "account_id": tx.account_id,
        "status": tx.status.value,  # an enum costs the JSON encoder a call per row
        "transaction_date": tx.transaction_date,
        "booking_date": tx.booking_date,
        "value_date": tx.value_date,
        "amount": {"amount": format_minor(minor, currency), "currency": currency},
        "direction": "credit" if minor >= 0 else "debit",
        "counterparty_name": tx.counterparty_name,
        "counterparty_iban": mask_iban(tx.counterparty_iban),
        "remittance": tx.remittance,
    }


class TransactionDetailOut(TransactionOut):
    decision: DecisionOut | None
    bank_transaction_code: str | None


class TransactionPage(Page[TransactionOut]):
    pass


MAX_FILTER_AMOUNT = Decimal("1e13")


class TransactionFilters(ApiModel):
    account_id: uuid.UUID | None = None
    status: TransactionStatus | None = None
    direction: Literal["credit", "debit"] | None = None
    date_from: date | None = None
    date_to: date | None = None
    amount_min: str | None = Field(default=None, max_length=32, description="Decimal string")
    amount_max: str | None = Field(default=None, max_length=32, description="Decimal string")
    currency: str | None = Field(default=None, min_length=3, max_length=3)
    q: str | None = Field(
        default=None,
        max_length=200,
        description="Text in the payer's name or the reference; case and accents are ignored",
    )

    @field_validator("amount_min", "amount_max")
    @classmethod
    def _amount(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                amount = parse_amount(value)
            except MoneyError as exc:
                raise ValueError(str(exc)) from None
            if abs(amount) >= MAX_FILTER_AMOUNT:
                raise ValueError("out of range")
        return value


class TransactionQuery(TransactionFilters, PageQuery):
    pass


def decision_out(decision: Any, allocations: list[Any]) -> DecisionOut:
    return DecisionOut(
        id=decision.id,
        status=decision.status,
        state=decision.state,
        confidence=decision.confidence,
        shadow=decision.shadow,
        reasons=[
            ReasonOut(code=str(r.get("code", "")), text=str(r.get("text", "")))
            for r in decision.reasons
            if isinstance(r, dict)
        ],
        allocations=[
            AllocationOut(
                invoice_id=a.invoice_id,
                amount=MoneyOut.of(a.amount_minor, a.currency),
                fee=MoneyOut.of(a.fee_minor, a.currency),
            )
            for a in allocations
        ],
        created_at=decision.created_at,
    )
