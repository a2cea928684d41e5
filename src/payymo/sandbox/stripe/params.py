"""Stripe's form encoding: `metadata[k]=v`, `expand[]=x` or `expand[0]=x`, `created[gte]=n`."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from payymo.sandbox.stripe.errors import invalid

_KEY_RE = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_SEGMENT_RE = re.compile(r"\[([^\[\]]*)\]")
_INTEGER_RE = re.compile(r"^-?\d+$")
RANGE_OPERATORS = ("gt", "gte", "lt", "lte")
# Keys whose sub-keys are the caller's own names, never list indexes.
_FREE_FORM = frozenset({"metadata"})


def parse_form(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Nest bracketed keys into dicts, and `[]`/`[0]`-indexed ones into lists."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        match = _KEY_RE.match(key)
        if match is None:
            raise invalid(f"Invalid parameter name: {key}", param=key)
        _insert(root, [match.group(1), *_SEGMENT_RE.findall(match.group(2))], value, key)
    return {k: v if k in _FREE_FORM else _listify(v) for k, v in root.items()}


def _insert(node: dict[str, Any], path: list[str], value: str, key: str) -> None:
    head, rest = path[0], path[1:]
    if not rest:
        node[head] = value
    elif rest == [""]:
        items = node.setdefault(head, [])
        if not isinstance(items, list):
            raise invalid(f"Invalid array: {key}", param=head)
        items.append(value)
    else:
        child = node.setdefault(head, {})
        if not isinstance(child, dict):
            raise invalid(f"Invalid hash: {key}", param=head)
        _insert(child, rest, value, key)


def _listify(value: Any) -> Any:
    if isinstance(value, dict):
        if value and all(k.isdigit() for k in value):
            return [_listify(value[k]) for k in sorted(value, key=int)]
        return {k: _listify(v) for k, v in value.items()}
    return value


@dataclass(frozen=True)
class Range:
    """A `created[gte]=...&created[lt]=...` filter (or an exact `created=...`)."""

    gt: int | None = None
    gte: int | None = None
    lt: int | None = None
    lte: int | None = None

    def contains(self, value: int) -> bool:
        return not (
            (self.gt is not None and value <= self.gt)
            or (self.gte is not None and value < self.gte)
            or (self.lt is not None and value >= self.lt)
            or (self.lte is not None and value > self.lte)
        )


@dataclass(frozen=True)
class Params:
    """One request's parameters, with Stripe's validation messages."""

    values: dict[str, Any]

    def reject_unknown(self, allowed: Collection[str]) -> None:
        for name in self.values:
            if name not in allowed and name != "expand":
                raise invalid(f"Received unknown parameter: {name}", param=name)

    def string(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None or isinstance(value, str):
            return value
        raise invalid(f"Invalid string: {name}", param=name)

    def integer(self, name: str, *, low: int | None = None, high: int | None = None) -> int | None:
        text = self.string(name)
        if text is None:
            return None
        return _checked_integer(text, name, low, high)

    def expand(self) -> list[str]:
        value = self.values.get("expand", [])
        if isinstance(value, str):
            return [value]
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return value
        raise invalid("Invalid array", param="expand")

    def metadata(self) -> dict[str, str]:
        value = self.values.get("metadata", {})
        if value == "":  # Stripe clears metadata with `metadata=`
            return {}
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise invalid("Invalid hash", param="metadata")
        return dict(value)

    def range(self, name: str) -> Range:
        value = self.values.get(name)
        if value is None:
            return Range()
        if isinstance(value, str):
            exact = _checked_integer(value, name, None, None)
            return Range(gte=exact, lte=exact)
        if not isinstance(value, dict):
            raise invalid(f"Invalid {name}", param=name)
        for operator in value:
            if operator not in RANGE_OPERATORS:
                param = f"{name}[{operator}]"
                raise invalid(f"Received unknown parameter: {param}", param=param)
        bounds = {op: _checked_integer(value[op], f"{name}[{op}]", None, None) for op in value}
        return Range(**bounds)


def _checked_integer(text: object, param: str, low: int | None, high: int | None) -> int:
    if not isinstance(text, str) or not _INTEGER_RE.match(text):
        raise invalid(f"Invalid integer: {text}", param=param)
    number = int(text)
    if low is not None and number < low:
        raise invalid(f"This value must be greater than or equal to {low}.", param=param)
    if high is not None and number > high:
        raise invalid(f"This value must be less than or equal to {high}.", param=param)
    return number
