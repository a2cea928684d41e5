"""Everything one simulator instance knows, kept as Stripe-shaped dicts per object type."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass, field

import stripe

from payymo.sandbox.stripe import ledger
from payymo.sandbox.stripe.ids import IdFactory
from payymo.sandbox.stripe.objects import StripeObject, account

KINDS = (
    "customer",
    "payment_intent",
    "charge",
    "balance_transaction",
    "payout",
    "refund",
    "event",
)
PREFIX_KINDS = {
    "cus": "customer",
    "pi": "payment_intent",
    "ch": "charge",
    "txn": "balance_transaction",
    "po": "payout",
    "re": "refund",
    "evt": "event",
}
SortKey = tuple[int, int]


class Collection:
    """One object type, listed newest first by (created, order of creation)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._objects: dict[str, StripeObject] = {}
        self._keys: dict[str, SortKey] = {}

    def add(self, obj: StripeObject, sequence: int) -> StripeObject:
        self._objects[obj["id"]] = obj
        self._keys[obj["id"]] = (obj["created"], sequence)
        return obj

    def get(self, object_id: str) -> StripeObject | None:
        return self._objects.get(object_id)

    def key(self, object_id: str) -> SortKey | None:
        return self._keys.get(object_id)

    def newest_first(self) -> list[StripeObject]:
        ids = sorted(self._objects, key=self._keys.__getitem__, reverse=True)
        return [self._objects[i] for i in ids]

    def __iter__(self) -> Iterator[StripeObject]:
        return iter(self._objects.values())

    def __len__(self) -> int:
        return len(self._objects)


@dataclass(frozen=True)
class StoredResponse:
    """A POST's first answer, replayed for the same Idempotency-Key."""

    fingerprint: str
    status: int
    body: StripeObject


@dataclass
class StripeState:
    """The objects of one Stripe account, plus what the API needs to remember about requests."""

    ids: IdFactory
    account: StripeObject
    collections: dict[str, Collection] = field(
        default_factory=lambda: {kind: Collection(kind) for kind in KINDS}
    )
    payout_of: dict[str, str] = field(default_factory=dict)  # txn_ id -> po_ id
    idempotency: dict[str, StoredResponse] = field(default_factory=dict)
    outbox: list[StripeObject] = field(default_factory=list)  # events not yet handed to webhooks
    pending_webhooks: int = 0
    request: tuple[str | None, str | None] = (None, None)  # (request id, idempotency key)
    _sequence: int = 0

    @classmethod
    def empty(cls, seed: int, *, created: int) -> StripeState:
        ids = IdFactory(seed)
        return cls(ids=ids, account=account(account_id=ids.account(created), created=created))

    def __getitem__(self, kind: str) -> Collection:
        return self.collections[kind]

    def add(self, obj: StripeObject) -> StripeObject:
        self._sequence += 1
        return self.collections[obj["object"]].add(obj, self._sequence)

    def find(self, object_id: str) -> StripeObject | None:
        kind = PREFIX_KINDS.get(object_id.split("_", 1)[0])
        return self.collections[kind].get(object_id) if kind else None

    def emit(
        self,
        event_type: str,
        obj: StripeObject,
        *,
        created: int,
        previous: StripeObject | None = None,
    ) -> StripeObject:
        """Record an event with a snapshot of `obj`, and queue it for webhook delivery."""
        evt = ledger.event(
            event_id=self.ids.new("evt", created),
            event_type=event_type,
            api_version=stripe.api_version,
            created=created,
            snapshot=copy.deepcopy(obj),
            previous=previous,
            pending_webhooks=self.pending_webhooks,
            request=self.request,
        )
        self.add(evt)
        self.outbox.append(evt)
        return evt

    def dump(self) -> StripeObject:
        """Every object by type, newest first, for `GET /_sim/state`."""
        dumped: StripeObject = {"account": copy.deepcopy(self.account)}
        for kind, collection in self.collections.items():
            dumped[f"{kind}s"] = copy.deepcopy(collection.newest_first())
        dumped["payout_of"] = dict(self.payout_of)
        dumped["idempotency_keys"] = sorted(self.idempotency)
        return dumped
