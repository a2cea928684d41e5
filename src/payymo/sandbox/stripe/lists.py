"""Stripe list pages: newest first, `limit`, and `starting_after` / `ending_before` cursors."""

from __future__ import annotations

from payymo.sandbox.stripe.errors import invalid, no_such
from payymo.sandbox.stripe.objects import StripeObject
from payymo.sandbox.stripe.params import Params
from payymo.sandbox.stripe.state import Collection, SortKey

PAGE_PARAMS = frozenset({"limit", "starting_after", "ending_before"})
DEFAULT_LIMIT = 10
MAX_LIMIT = 100


def paginate(
    rows: list[StripeObject], *, collection: Collection, params: Params, url: str
) -> StripeObject:
    """One page of `rows` (already filtered, newest first) as a Stripe list object."""
    limit = params.integer("limit", low=1, high=MAX_LIMIT) or DEFAULT_LIMIT
    after, before = params.string("starting_after"), params.string("ending_before")
    if after and before:
        raise invalid(
            "You may only specify one of these parameters: ending_before, starting_after.",
            param="ending_before",
        )
    if after:
        cursor = _cursor(collection, after, "starting_after")
        rows = [row for row in rows if _key(collection, row) < cursor]
        page = rows[:limit]
    elif before:
        cursor = _cursor(collection, before, "ending_before")
        rows = [row for row in rows if _key(collection, row) > cursor]
        page = rows[-limit:]
    else:
        page = rows[:limit]
    return {"object": "list", "data": page, "has_more": len(rows) > limit, "url": url}


def _cursor(collection: Collection, object_id: str, param: str) -> SortKey:
    key = collection.key(object_id)
    if key is None:
        raise no_such(collection.kind, object_id, param=param)
    return key


def _key(collection: Collection, row: StripeObject) -> SortKey:
    key = collection.key(row["id"])
    assert key is not None  # noqa: S101 - rows come from this collection
    return key
