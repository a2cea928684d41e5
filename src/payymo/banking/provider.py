"""What Payymo needs from an Open Banking provider, independent of who the provider is.

GoCardless Bank Account Data closed new sign-ups, so a second provider must be able to slot in:
it implements `BankProvider` and returns these frozen dataclasses, and nothing above this module
knows which provider answered.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol

from payymo.banking.models import RequisitionStatus, TransactionStatus
from payymo.integrations.errors import ProviderBadResponse
from payymo.money import Money

if TYPE_CHECKING:
    from payymo.http import AppServices


@dataclass(frozen=True)
class Institution:
    id: str
    name: str
    bic: str
    countries: tuple[str, ...]
    transaction_total_days: int
    max_access_valid_for_days: int
    logo: str | None = None


@dataclass(frozen=True)
class Agreement:
    """The terms the end user consents to: how far back, for how long, which scopes."""

    id: str
    institution_id: str
    max_historical_days: int
    access_valid_for_days: int
    access_scope: tuple[str, ...]
    accepted: datetime | None = None


@dataclass(frozen=True)
class Requisition:
    """A consent request: the bank link for the user, then the accounts it linked."""

    id: str
    status: RequisitionStatus
    institution_id: str
    agreement_id: str | None
    reference: str
    link: str
    account_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Quota:
    """The per-account call quota as the provider last reported it (None: not said)."""

    limit: int | None = None
    remaining: int | None = None
    reset_seconds: int | None = None


@dataclass(frozen=True)
class AccountMetadata:
    id: str
    iban: str | None
    institution_id: str | None
    status: str | None
    owner_name: str


@dataclass(frozen=True)
class AccountDetails:
    currency: str
    iban: str | None
    name: str
    owner_name: str
    quota: Quota = Quota()


@dataclass(frozen=True)
class ProviderTransaction:
    """One transaction as the provider reported it; the counterparty is already resolved
    (the debtor of a credit, the creditor of a debit)."""

    status: TransactionStatus
    internal_id: str | None
    transaction_id: str | None
    booking_date: date | None
    value_date: date | None
    amount: Money
    counterparty_name: str
    counterparty_iban: str | None
    remittance: str
    end_to_end_id: str | None
    bank_transaction_code: str | None
    raw: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def provider_id(self) -> str | None:
        """The provider's own id if there is one, else the bank's (None: neither given)."""
        return self.internal_id or self.transaction_id


@dataclass(frozen=True)
class QuarantinedEntry:
    """An entry that breaks the provider's contract: skipped, so the rest can be stored."""

    status: TransactionStatus
    index: int  # its position in the provider's booked or pending list
    provider_id: str | None
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "index": self.index,
            "provider_id": self.provider_id,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class TransactionBatch:
    """Everything one transactions call returned: booked first, then pending."""

    transactions: tuple[ProviderTransaction, ...]
    quota: Quota = Quota()
    quarantined: tuple[QuarantinedEntry, ...] = ()
    # False if the provider left the pending list out or one of its entries was quarantined:
    # then a stored pending transaction missing from it may still be pending.
    pending_complete: bool = True


class UnreadableAnswer(ProviderBadResponse):
    """A successful (2xx) call whose body could not be read: the bank counted it all the same."""

    def __init__(self, message: str, *, status: int, quota: Quota) -> None:
        super().__init__(message, status=status)
        self.quota = quota


class BankProvider(Protocol):
    """An Open Banking provider; every method raises only `ProviderError`s."""

    name: str

    def institutions(self, *, country: str) -> list[Institution]: ...

    def institution(self, institution_id: str) -> Institution: ...

    def create_agreement(
        self, *, institution_id: str, max_historical_days: int, access_valid_for_days: int
    ) -> Agreement: ...

    def agreement(self, agreement_id: str) -> Agreement: ...

    def create_requisition(
        self, *, institution_id: str, agreement_id: str, redirect_url: str, reference: str
    ) -> Requisition: ...

    def requisition(self, requisition_id: str) -> Requisition: ...

    def account_metadata(self, account_id: str) -> AccountMetadata: ...

    def account_details(self, account_id: str) -> AccountDetails: ...

    def transactions(
        self, account_id: str, *, date_from: date, date_to: date
    ) -> TransactionBatch: ...


_lock = threading.Lock()
_installed: dict[int, dict[str, BankProvider]] = {}


def install_provider(app: AppServices, provider: BankProvider) -> None:
    """Make `app` use `provider` for its `provider.name` (tests install fakes or tuned clients)."""
    with _lock:
        _providers_of(app)[provider.name] = provider


def provider_for(app: AppServices, name: str) -> BankProvider:
    """The app's client for provider `name`, built on first use and then reused (token cache)."""
    with _lock:
        found = _installed.get(id(app), {}).get(name)
    if found is not None:
        return found
    if name != "gocardless":
        raise LookupError(f"no bank provider called {name!r}")
    from payymo.banking.gocardless import GoCardlessClient  # noqa: PLC0415 - it imports us

    built = GoCardlessClient.from_settings(app.settings, clock=app.clock)
    with _lock:
        found = _providers_of(app).setdefault(name, built)
    if found is not built:  # another thread won the race
        built.close()
    return found


def _providers_of(app: AppServices) -> dict[str, BankProvider]:
    if id(app) not in _installed:
        _installed[id(app)] = {}
        # Keyed by id() because AppServices is unhashable; forgotten together with the app.
        weakref.finalize(app, _forget, id(app))
    return _installed[id(app)]


def _forget(app_id: int) -> None:
    with _lock:
        providers = _installed.pop(app_id, {})
    for provider in providers.values():
        close = getattr(provider, "close", None)
        if callable(close):
            close()
