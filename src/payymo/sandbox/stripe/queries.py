"""Reads: list and retrieve every resource, with its filters and expansions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from payymo.sandbox.stripe.errors import invalid, no_such
from payymo.sandbox.stripe.expand import expanded, list_paths
from payymo.sandbox.stripe.lists import PAGE_PARAMS, paginate
from payymo.sandbox.stripe.objects import StripeObject
from payymo.sandbox.stripe.params import Params
from payymo.sandbox.stripe.state import StripeState

RowFilter = Callable[[StripeState, Params, list[StripeObject]], list[StripeObject]]


def _by_payout(state: StripeState, params: Params, rows: list[StripeObject]) -> list[StripeObject]:
    payout_id = params.string("payout")
    if payout_id is None:
        return rows
    payout = state["payout"].get(payout_id)
    if payout is None:
        raise no_such("payout", payout_id, param="payout")
    if not payout["automatic"]:
        raise invalid(
            "Balance transaction history can only be filtered on automatic transfers, not manual.",
            param="payout",
        )
    return [row for row in rows if state.payout_of.get(row["id"]) == payout_id]


@dataclass(frozen=True)
class Resource:
    """A listable resource: equality filters on same-named fields, range filters, extras."""

    kind: str
    path: str
    filters: tuple[str, ...] = ()
    ranges: tuple[str, ...] = ("created",)
    extra: tuple[tuple[str, RowFilter], ...] = ()

    @property
    def url(self) -> str:
        return f"/v1/{self.path}"


RESOURCES = (
    Resource("charge", "charges", filters=("customer", "payment_intent")),
    Resource("payment_intent", "payment_intents", filters=("customer",)),
    Resource(
        "balance_transaction",
        "balance_transactions",
        filters=("currency", "source", "type"),
        extra=(("payout", _by_payout),),
    ),
    Resource("payout", "payouts", filters=("status",), ranges=("created", "arrival_date")),
    Resource("refund", "refunds", filters=("charge", "payment_intent")),
    Resource("customer", "customers", filters=("email",)),
    Resource("event", "events", filters=("type",)),
)


def list_objects(state: StripeState, resource: Resource, params: Params) -> StripeObject:
    """`GET /v1/<resource>`: filtered, paginated, expanded."""
    extras = dict(resource.extra)
    params.reject_unknown({*PAGE_PARAMS, *resource.filters, *resource.ranges, *extras})
    paths = list_paths(params.expand())
    rows = state[resource.kind].newest_first()
    for name in resource.filters:
        wanted = params.string(name)
        if wanted is not None:
            wanted = wanted.lower() if name == "currency" else wanted  # ISO codes, any case
            rows = [row for row in rows if row.get(name) == wanted]
    for name in resource.ranges:
        bounds = params.range(name)
        rows = [row for row in rows if bounds.contains(row[name])]
    for row_filter in extras.values():
        rows = row_filter(state, params, rows)
    page = paginate(rows, collection=state[resource.kind], params=params, url=resource.url)
    page["data"] = [expanded(row, paths, state.find) for row in page["data"]]
    return page


def retrieve(state: StripeState, kind: str, object_id: str, params: Params) -> StripeObject:
    """`GET /v1/<resource>/<id>`, or Stripe's 404 `resource_missing`."""
    params.reject_unknown(())
    found = state[kind].get(object_id)
    if found is None:
        raise no_such(kind, object_id, param="id", status=404)
    return expanded(found, params.expand(), state.find)
