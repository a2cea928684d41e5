"""Keyset pagination: stable under inserts, index-backed, with opaque cursors."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any, TypeVar

from pydantic import Field
from sqlalchemy import Integer, Select, literal, tuple_
from sqlalchemy.orm import Session

from payymo.api.schemas import ApiModel
from payymo.errors import FieldError, ValidationFailed

RowT = TypeVar("RowT")
MAX_LIMIT = 200


class PageQuery(ApiModel):
    limit: int = Field(default=50, ge=1, le=MAX_LIMIT, description="Items per page")
    cursor: str | None = Field(
        default=None, max_length=500, description="`next_cursor` of the previous page"
    )


def encode_cursor(values: Sequence[Any]) -> str:
    raw = json.dumps([_plain(v) for v in values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _plain(value: Any) -> Any:
    if isinstance(value, uuid.UUID | date | datetime):
        return value.isoformat() if not isinstance(value, uuid.UUID) else str(value)
    return value


def decode_cursor(cursor: str, parsers: Sequence[Callable[[Any], Any]]) -> list[Any]:
    """Decode a cursor made by `encode_cursor`, parsing each value; 422 if it is not one."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(values, list) or len(values) != len(parsers):
            raise ValueError("wrong shape")
        return [parse(value) for parse, value in zip(parsers, values, strict=True)]
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise ValidationFailed(
            detail="invalid cursor", errors=[FieldError("cursor", "not a cursor from this list")]
        ) from None


def keyset_page(
    session: Session,
    query: Select[Any],
    *,
    order: tuple[Any, ...],
    parsers: Sequence[Callable[[Any], Any]],
    key: Callable[[RowT], Sequence[Any]],
    page: PageQuery,
) -> tuple[list[RowT], str | None]:
    """Rows of `query` after `page.cursor`, newest first by `order`, and the next cursor."""
    after = decode_cursor(page.cursor, parsers) if page.cursor else None
    limit = literal(page.limit + 1, Integer, literal_execute=True)
    ordered = keyset_query(query, order=order, after=after, limit=limit)
    # One selected entity gives ORM objects; a column list gives light rows with attributes.
    first = query.column_descriptions[0]
    whole_entity = len(query.column_descriptions) == 1 and first["expr"] is first["entity"]
    result: Any = session.scalars(ordered) if whole_entity else session.execute(ordered)
    return trim_page(list(result), page.limit, key)


def keyset_query(
    query: Select[Any], *, order: tuple[Any, ...], after: Sequence[Any] | None, limit: Any
) -> Select[Any]:
    """`query` after the key `after` (None: from the start), newest first by `order`, at most
    `limit` rows. The values may be bound parameters, for a statement built once.

    Give `limit` with `literal_execute=True`: PostgreSQL plans a prepared statement whose LIMIT
    is a parameter anew on every execution (its generic plan cannot know how few rows are
    wanted), which costs more than running it; written inline, one plan serves every page.
    """
    if after is not None:
        query = query.where(tuple_(*order) < tuple_(*after))
    return query.order_by(*(c.desc() for c in order)).limit(limit)


def trim_page(
    rows: list[RowT], limit: int, key: Callable[[RowT], Sequence[Any]]
) -> tuple[list[RowT], str | None]:
    """The first `limit` of `rows`, fetched with one more to tell, and the cursor after them
    when there are more."""
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode_cursor(key(rows[-1])) if more and rows else None


def parse_datetime(value: Any) -> datetime:
    return datetime.fromisoformat(str(value))


def parse_date(value: Any) -> date:
    return date.fromisoformat(str(value))


def parse_uuid(value: Any) -> uuid.UUID:
    return uuid.UUID(str(value))


def parse_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("not an integer")
    return value
