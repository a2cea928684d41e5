"""Response shapes shared by every domain: money, pages, problems."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from payymo.money import format_minor

ItemT = TypeVar("ItemT")


class ApiModel(BaseModel):
    """Base for API models: built from ORM objects, unknown input fields refused."""

    model_config = ConfigDict(from_attributes=True, extra="forbid")


class MoneyOut(ApiModel):
    amount: str = Field(
        description="Decimal string at the currency's precision", examples=["12.30"]
    )
    currency: str = Field(min_length=3, max_length=3, examples=["EUR"])

    @classmethod
    def of(cls, minor: int, currency: str) -> MoneyOut:
        return cls.model_construct(amount=format_minor(minor, currency), currency=currency)


class Page(ApiModel, Generic[ItemT]):
    """One page of a list; pass `next_cursor` back as `cursor` for the next page."""

    data: list[ItemT]
    next_cursor: str | None = Field(description="Opaque; null on the last page")


class FieldErrorOut(ApiModel):
    field: str
    message: str
    code: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[FieldErrorOut] | None = None
