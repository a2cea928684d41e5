"""`expand[]`: replace an id with the object it names, up to four levels deep."""

from __future__ import annotations

import copy
from collections.abc import Callable

from payymo.sandbox.stripe.errors import invalid
from payymo.sandbox.stripe.objects import StripeObject

Finder = Callable[[str], StripeObject | None]

EXPANDABLE = {
    "balance_transaction": frozenset({"source"}),
    "charge": frozenset({"balance_transaction", "customer", "payment_intent"}),
    "payment_intent": frozenset({"customer", "latest_charge"}),
    "payout": frozenset({"balance_transaction"}),
    "refund": frozenset({"balance_transaction", "charge", "payment_intent"}),
}
MAX_DEPTH = 4


def expanded(obj: StripeObject, paths: list[str], find: Finder) -> StripeObject:
    """A copy of `obj` with each dotted path in `paths` expanded."""
    result = copy.deepcopy(obj)
    for path in paths:
        parts = path.split(".")
        if len(parts) > MAX_DEPTH:
            raise invalid(
                f"You cannot expand more than {MAX_DEPTH} levels of a property. Property: {path}",
                param="expand",
            )
        _expand(result, parts, find, top=True)
    return result


def list_paths(paths: list[str]) -> list[str]:
    """Expansions asked of a list apply to its items, so they must start with `data.`."""
    stripped = []
    for path in paths:
        head, _, rest = path.partition(".")
        if head != "data" or not rest:
            raise invalid(f"This property cannot be expanded ({path}).", param="expand")
        stripped.append(rest)
    return stripped


def _expand(obj: StripeObject, parts: list[str], find: Finder, *, top: bool) -> None:
    field, rest = parts[0], parts[1:]
    if field not in EXPANDABLE.get(obj.get("object", ""), frozenset()):
        if top:
            raise invalid(f"This property cannot be expanded ({field}).", param="expand")
        return  # below a polymorphic field (a balance transaction's source), skip other types
    value = obj.get(field)
    if isinstance(value, str):
        target = find(value)
        if target is not None:
            value = obj[field] = copy.deepcopy(target)
    if rest and isinstance(value, dict):
        _expand(value, rest, find, top=False)
