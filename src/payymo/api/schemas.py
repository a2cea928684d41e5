"""Response shapes shared by every domain: money, pages, problems."""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar, cast

from pydantic import BaseModel, ConfigDict, Field, create_model

from payymo.money import format_minor

ItemT = TypeVar("ItemT")
ModelT = TypeVar("ModelT", bound="ApiModel")


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


def every_field_required(model: type[ModelT], suffix: str) -> type[ModelT]:
    """`model` with no defaults, for a full replace (PUT): a field left out is a 422 naming it,
    not its default. Nested models alike; constraints and validators are `model`'s own. Named
    after `model` (less a `Model` ending) and `suffix`."""
    return cast(type[ModelT], _variant(model, suffix, required=True))


def any_fields(model: type[ApiModel], suffix: str) -> type[ApiModel]:
    """`model` with every field optional and no defaults, for a change (PATCH): only the fields
    sent are set (`model_dump(exclude_unset=True)`). Types and constraints are checked, not
    `model`'s validators: validate the changed whole with `model` itself."""
    return _variant(model, suffix, required=False)


def _variant(model: type[ApiModel], suffix: str, *, required: bool) -> type[ApiModel]:
    fields: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        annotation: Any = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, ApiModel):
            annotation = _variant(annotation, suffix, required=required)
        if info.metadata:
            annotation = Annotated[(annotation, *info.metadata)]
        if required:
            field: Any = Field(description=info.description, examples=info.examples)
        else:
            field = Field(
                None,
                description=info.description,
                examples=info.examples,
                json_schema_extra=_no_default,
            )
        fields[name] = (annotation, field)
    return create_model(
        model.__name__.removesuffix("Model") + suffix,
        __base__=model if required else ApiModel,
        __doc__=model.__doc__,
        **fields,
    )


def _no_default(schema: dict[str, Any]) -> None:
    # Left out means unchanged, not null: the document shows no default.
    schema.pop("default", None)
