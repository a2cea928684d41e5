"""The engine's inputs and outputs: frozen values, money in integer minor units."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from payymo.reconciliation.engine.patterns import TenantPattern

OPEN_STATUS = "Unpaid"


class Status(StrEnum):
    AUTO = "auto"
    REVIEW = "review"
    UNMATCHED = "unmatched"
    IGNORED = "ignored"


@dataclass(frozen=True, slots=True)
class EngineInvoice:
    id: str  # the WHMCS invoice id
    number: str  # WHMCS `invoicenum`, often empty
    client_id: str
    client_name: str
    company_name: str
    status: str  # as WHMCS spells it: Unpaid, Paid, Cancelled, ...
    currency: str
    total_minor: int
    balance_minor: int
    issued: date | None = None
    due: date | None = None

    @property
    def is_open(self) -> bool:
        return self.status == OPEN_STATUS and self.balance_minor > 0


@dataclass(frozen=True, slots=True)
class EngineTransaction:
    id: str
    booked: bool
    amount_minor: int  # signed: credits are positive
    currency: str
    day: date | None
    text: str  # every remittance field, joined
    counterparty: str = ""
    counterparty_iban: str | None = None


@dataclass(frozen=True, slots=True)
class Rules:
    auto_threshold: float = 0.95
    min_margin: float = 0.2
    # Bank fees deducted up to this many minor units still count as paying the invoice.
    fee_tolerance_minor: int = 150
    reference_patterns: tuple[TenantPattern, ...] = ()
    max_subset_candidates: int = 12
    max_subset_size: int = 6


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    text: str


@dataclass(frozen=True, slots=True)
class Allocation:
    invoice_id: str
    amount_minor: int  # taken from the transaction
    fee_minor: int = 0  # deducted by the bank, posted as WHMCS `fees`


@dataclass(frozen=True, slots=True)
class Decision:
    transaction_id: str
    status: Status
    currency: str
    confidence: float
    allocations: tuple[Allocation, ...] = ()
    reasons: tuple[Reason, ...] = field(default_factory=tuple)
