"""The simulator's mutable state: one lock-protected `Store` per app."""

from __future__ import annotations

import hashlib
import pickle
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from payymo.sandbox.common import SimClock

SCOPES = ("balances", "details", "transactions")
STATUSES = ("CR", "GC", "UA", "RJ", "SA", "GA", "LN", "EX", "ID", "ER", "SU")


@dataclass
class Agreement:
    id: str
    created: datetime
    institution_id: str
    max_historical_days: int
    access_valid_for_days: int
    access_scope: list[str]
    accepted: datetime | None = None

    def expires_at(self) -> datetime | None:
        if self.accepted is None:
            return None
        return self.accepted + timedelta(days=self.access_valid_for_days)


@dataclass
class Requisition:
    id: str
    created: datetime
    redirect: str
    institution_id: str
    agreement_id: str
    reference: str
    user_language: str = "EN"
    ssn: str | None = None
    account_selection: bool = False
    redirect_immediate: bool = False
    status: str = "CR"
    accounts: list[str] = field(default_factory=list)
    history: list[str] = field(default_factory=lambda: ["CR"])

    def move(self, status: str) -> None:
        self.status = status
        self.history.append(status)


@dataclass
class Transaction:
    """A bank transaction; `internal_id` is GoCardless's, shown only once it is booked."""

    internal_id: str
    transaction_id: str | None
    booking_date: date | None
    value_date: date
    amount: Decimal
    currency: str
    counterparty_name: str
    counterparty_iban: str
    remittance: str
    remittance_as_array: bool = False
    raw_amount: str | None = None  # sent verbatim instead of `amount`: a contract-breaking entry

    @property
    def pending(self) -> bool:
        return self.booking_date is None


@dataclass
class Account:
    id: str
    created: datetime
    institution_id: str
    iban: str
    currency: str
    owner_name: str
    name: str
    opening_balance: Decimal
    transactions: list[Transaction] = field(default_factory=list)
    last_accessed: datetime | None = None
    new_id_on_link: bool = False  # the bank issues it a new id when a consent next links it


@dataclass
class Data:
    """Everything `/_sim/reset` puts back."""

    accounts: dict[str, Account]
    agreements: dict[str, Agreement] = field(default_factory=dict)
    requisitions: dict[str, Requisition] = field(default_factory=dict)
    quota: Counter[tuple[str, str, date]] = field(default_factory=Counter)
    windows: Counter[tuple[str, int]] = field(default_factory=Counter)
    ever_linked: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Config:
    seed: int
    secret_id: str
    secret_key: str
    daily_limit: int
    world_day: date

    @property
    def signing_key(self) -> bytes:
        material = f"payymo-gocardless-sim:{self.secret_id}:{self.secret_key}"
        return hashlib.sha256(material.encode()).digest()


Seeder = Callable[[Config], Data]
"""Builds the seeded `Data` for a config (see `seed.py`)."""


class Store:
    """State plus the lock every reader and writer holds (the server is threaded)."""

    def __init__(self, config: Config, clock: SimClock, seeder: Seeder) -> None:
        self.config = config
        self.clock = clock
        self.lock = threading.RLock()
        self._seeder = seeder
        self.data = seeder(config)

    def reset(self) -> None:
        with self.lock:
            self.data = self._seeder(self.config)

    def export(self) -> bytes:
        with self.lock:
            return pickle.dumps(self.data, protocol=pickle.HIGHEST_PROTOCOL)

    def restore(self, data: object) -> None:
        if not isinstance(data, Data):
            raise TypeError(f"expected the simulator's Data, got {type(data).__name__}")
        with self.lock:
            self.data = data

    def now(self) -> datetime:
        return self.clock.now()

    def today(self) -> date:
        return self.clock.now().date()
