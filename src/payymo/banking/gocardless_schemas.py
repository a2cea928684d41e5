"""GoCardless Bank Account Data response bodies, and their conversion to provider types.

The models ignore keys they do not know (banks add many) but refuse wrong types: a day count may
be "90" or 90, an amount only a decimal string, a date only an ISO date string.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictStr, ValidationError

from payymo.banking.models import RequisitionStatus
from payymo.banking.provider import (
    AccountDetails,
    AccountMetadata,
    Agreement,
    Institution,
    Quota,
    Requisition,
)
from payymo.bodies import unstorable_text
from payymo.integrations.errors import ProviderBadResponse
from payymo.money import Money, MoneyError

ModelT = TypeVar("ModelT", bound=BaseModel)
NAME_LENGTH = 200  # BankAccount.name, owner_name and counterparty_name hold this much


def _iso_date(value: Any) -> Any:
    if value is None or isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise ValueError("expected a YYYY-MM-DD string")  # not a timestamp number
    return date.fromisoformat(value)


IsoDate = Annotated[date, BeforeValidator(_iso_date)]
Id = Annotated[StrictStr, Field(min_length=1, max_length=128)]
Iban = Annotated[StrictStr, Field(max_length=34)]


class Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class TokenPair(Wire):
    access: StrictStr
    access_expires: int
    refresh: StrictStr
    refresh_expires: int


class AccessToken(Wire):
    access: StrictStr
    access_expires: int


class InstitutionWire(Wire):
    id: Id
    name: StrictStr
    bic: StrictStr = ""
    transaction_total_days: int = 90
    max_access_valid_for_days: int = 90
    countries: list[StrictStr] = Field(default_factory=list)
    logo: StrictStr | None = None


class AgreementWire(Wire):
    id: Id
    institution_id: Id
    max_historical_days: int = Field(ge=1)
    access_valid_for_days: int = Field(ge=1)
    access_scope: list[StrictStr] = Field(default_factory=list)
    accepted: datetime | None = None


class RequisitionWire(Wire):
    id: Id
    status: RequisitionStatus
    institution_id: Id
    agreement: StrictStr | None = None
    reference: Annotated[StrictStr, Field(max_length=256)]
    link: Annotated[StrictStr, Field(max_length=1024)]
    accounts: list[Id] = Field(default_factory=list)


class MetadataWire(Wire):
    id: Id
    iban: Iban | None = None
    institution_id: StrictStr | None = None
    status: StrictStr | None = None
    owner_name: StrictStr | None = None


class DetailsAccount(Wire):
    currency: StrictStr | None = None
    iban: Iban | None = None
    name: StrictStr | None = None
    displayName: StrictStr | None = None
    product: StrictStr | None = None
    ownerName: StrictStr | None = None


class DetailsWire(Wire):
    account: DetailsAccount


def parse(model: type[ModelT], data: Any, what: str, *, shallow: bool = False) -> ModelT:
    """Validate `data` as `model`, or raise ProviderBadResponse naming the first bad field.

    `shallow` skips the search for unstorable text, for callers that read the parts it holds
    as `Any` one by one (and check each).
    """
    if not shallow and (bad := unstorable_text(data, what)):
        raise ProviderBadResponse(f"GoCardless sent unstorable text in {bad}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_input=False, include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        raise ProviderBadResponse(
            f"GoCardless sent an unexpected {what}: {where}: {first['msg']}"
        ) from None


def institution(wire: InstitutionWire) -> Institution:
    return Institution(
        id=wire.id,
        name=wire.name,
        bic=wire.bic,
        countries=tuple(wire.countries),
        transaction_total_days=wire.transaction_total_days,
        max_access_valid_for_days=wire.max_access_valid_for_days,
        logo=wire.logo,
    )


def agreement(wire: AgreementWire) -> Agreement:
    accepted = wire.accepted
    if accepted is not None:
        # GoCardless writes UTC, sometimes without the Z.
        aware = accepted if accepted.tzinfo else accepted.replace(tzinfo=UTC)
        accepted = aware.astimezone(UTC)
    return Agreement(
        id=wire.id,
        institution_id=wire.institution_id,
        max_historical_days=wire.max_historical_days,
        access_valid_for_days=wire.access_valid_for_days,
        access_scope=tuple(wire.access_scope),
        accepted=accepted,
    )


def requisition(wire: RequisitionWire) -> Requisition:
    return Requisition(
        id=wire.id,
        status=wire.status,
        institution_id=wire.institution_id,
        agreement_id=wire.agreement,
        reference=wire.reference,
        link=wire.link,
        account_ids=tuple(wire.accounts),
    )


def metadata(wire: MetadataWire) -> AccountMetadata:
    return AccountMetadata(
        id=wire.id,
        iban=wire.iban,
        institution_id=wire.institution_id,
        status=wire.status,
        owner_name=(wire.owner_name or "")[:NAME_LENGTH],
    )


def details(wire: DetailsWire, quota: Quota) -> AccountDetails:
    account = wire.account
    if not account.currency:
        raise ProviderBadResponse("GoCardless sent account details without a currency")
    return AccountDetails(
        currency=_currency(account.currency),
        iban=account.iban,
        name=(account.name or account.displayName or account.product or "")[:NAME_LENGTH],
        owner_name=(account.ownerName or "")[:NAME_LENGTH],
        quota=quota,
    )


def _currency(code: str) -> str:
    try:
        return Money.zero(code).currency
    except MoneyError as exc:
        raise ProviderBadResponse(f"GoCardless sent an unusable currency: {exc}") from None
