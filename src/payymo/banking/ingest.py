"""Storing fetched transactions idempotently: by provider id, else by content hash.

A content hash covers what a transaction *is* (account, date, amount, currency, remittance,
counterparty) plus its occurrence among identical ones in the same fetch, so two identical
transfers on one day stay two rows. It recognises transactions from banks that give no ids,
banks that re-issue ids, and pending entries (which never carry ids) once they book. A pending
entry the bank books with other text or dates is found by `pending.claim_rebooked`, and pending
rows the bank stops listing are retired by `pending.retire_stale`.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from payymo.banking import pending
from payymo.banking.models import BankAccount, BankTransaction, TransactionStatus
from payymo.banking.provider import ProviderTransaction, TransactionBatch

# Identical transactions stored by an earlier fetch may sit at a higher occurrence number.
OCCURRENCE_SLACK = 4
IN_CHUNK = 500


@dataclass(frozen=True)
class Item:
    tx: ProviderTransaction
    base: str
    content_hash: str


@dataclass
class UpsertCounts:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    retired: int = 0
    stale_pending: int = 0
    kept: set[uuid.UUID] = field(default_factory=set)  # the rows the fetch listed


@dataclass
class _Matches:
    pairs: list[tuple[Item, BankTransaction | None]]
    taken: set[str]  # the hashes id-less rows hold
    rebooked: set[uuid.UUID]  # pending rows claimed by a booked entry with other content


def content_base(account_id: uuid.UUID, tx: ProviderTransaction) -> str:
    # The value date first: a pending entry has one but no booking date, and keeps it when it
    # books, so both hash alike.
    day = tx.value_date or tx.booking_date
    parts = [
        str(account_id),
        day.isoformat() if day else "",
        tx.amount.format(),
        tx.amount.currency,
        tx.remittance,
        tx.counterparty_name,
        tx.counterparty_iban or "",
    ]
    return json.dumps(parts, ensure_ascii=False)


def occurrence_hash(base: str, occurrence: int) -> str:
    return hashlib.sha256(f"{base}\n{occurrence}".encode()).hexdigest()


def fingerprint(account_id: uuid.UUID, transactions: Iterable[ProviderTransaction]) -> list[Item]:
    """Hash each transaction; an id listed twice in one fetch is kept once."""
    items: list[Item] = []
    seen_ids: set[str] = set()
    occurrences: Counter[str] = Counter()
    for tx in transactions:
        if tx.provider_id is not None:
            if tx.provider_id in seen_ids:
                continue
            seen_ids.add(tx.provider_id)
        base = content_base(account_id, tx)
        items.append(Item(tx, base, occurrence_hash(base, occurrences[base])))
        occurrences[base] += 1
    return items


def store(
    session: Session, *, account: BankAccount, batch: TransactionBatch, today: date
) -> UpsertCounts:
    """`upsert` the batch, then retire the pending rows it no longer lists (if it is complete)."""
    counts = upsert(session, account=account, transactions=batch.transactions, today=today)
    if batch.pending_complete:
        counts.retired, counts.stale_pending = pending.retire_stale(session, account, counts.kept)
    return counts


def upsert(
    session: Session,
    *,
    account: BankAccount,
    transactions: Sequence[ProviderTransaction],
    today: date,
) -> UpsertCounts:
    """Insert new transactions and update known ones; running it twice changes nothing."""
    items = fingerprint(account.id, transactions)
    found = _match(session, account, items)
    counts = UpsertCounts()
    added: list[BankTransaction] = []
    for item, row in found.pairs:
        if row is None:
            added.append(_new_row(account, item, today, found.taken))
            counts.added += 1
            continue
        if row.id in found.rebooked and item.tx.provider_id is None:
            # Its old hash says what it was; an id-less row is known by what it is now.
            row.content_hash = _free_hash(item, found.taken)
        if _apply(row, item, today):
            counts.updated += 1
        else:
            counts.unchanged += 1
        counts.kept.add(row.id)
    session.add_all(added)
    session.flush()
    counts.kept.update(row.id for row in added)
    return counts


def _match(session: Session, account: BankAccount, items: list[Item]) -> _Matches:
    """Each item with its stored row (None: new): by id, then by content, then as a rebooking."""
    # Both ids: a row stored under the bank's id before GoCardless assigned its own.
    ids = [i for item in items for i in (item.tx.internal_id, item.tx.transaction_id) if i]
    by_id = {row.provider_transaction_id: row for row in _rows(session, account, "id", ids)}
    claimed: set[uuid.UUID] = set()
    pairs: list[tuple[Item, BankTransaction | None]] = []
    unmatched: list[Item] = []
    for item in items:
        row = by_id.get(item.tx.internal_id or "") or by_id.get(item.tx.transaction_id or "")
        if row is not None and row.id not in claimed:
            claimed.add(row.id)
            pairs.append((item, row))
        else:
            unmatched.append(item)
    by_base = _candidates(session, account, items, unmatched)
    for item in unmatched:
        row = _pick(item, by_base[item.base], claimed)
        if row is not None:
            claimed.add(row.id)
        pairs.append((item, row))
    taken = {
        row.content_hash
        for rows in by_base.values()
        for row in rows
        if row.provider_transaction_id is None
    }
    rebooked = _rebook(session, account, pairs, claimed)
    return _Matches(pairs, taken, rebooked)


def _rebook(
    session: Session,
    account: BankAccount,
    pairs: list[tuple[Item, BankTransaction | None]],
    claimed: set[uuid.UUID],
) -> set[uuid.UUID]:
    """Let booked items still without a row claim the pending row they book, if unambiguous;
    the rows so claimed."""
    open_items = [i for i, (item, row) in enumerate(pairs) if row is None and _booked(item)]
    if not open_items:
        return set()
    rows = pending.claim_rebooked(session, account, [pairs[i][0].tx for i in open_items], claimed)
    rebooked: set[uuid.UUID] = set()
    for index, row in zip(open_items, rows, strict=True):
        if row is not None:
            pairs[index] = (pairs[index][0], row)
            rebooked.add(row.id)
    return rebooked


def _booked(item: Item) -> bool:
    return item.tx.status is TransactionStatus.BOOKED


def _candidates(
    session: Session, account: BankAccount, items: list[Item], unmatched: list[Item]
) -> dict[str, list[BankTransaction]]:
    per_base = Counter(item.base for item in items)
    hash_to_base = {
        occurrence_hash(item.base, n): item.base
        for item in unmatched
        for n in range(per_base[item.base] + OCCURRENCE_SLACK)
    }
    by_base: dict[str, list[BankTransaction]] = defaultdict(list)
    for row in _rows(session, account, "hash", list(hash_to_base)):
        by_base[hash_to_base[row.content_hash]].append(row)
    return by_base


def _pick(
    item: Item, rows: list[BankTransaction], claimed: set[uuid.UUID]
) -> BankTransaction | None:
    free = [row for row in rows if row.id not in claimed and _compatible(row, item.tx)]
    exact = [row for row in free if row.content_hash == item.content_hash]
    # Rows without an id first: a pending entry waiting to book is the likeliest match.
    ranked = exact or sorted(free, key=lambda row: row.provider_transaction_id is not None)
    return ranked[0] if ranked else None


def _compatible(row: BankTransaction, tx: ProviderTransaction) -> bool:
    if tx.status is TransactionStatus.PENDING and row.status is TransactionStatus.BOOKED:
        return False  # a booked transaction never goes back to pending
    if row.provider_transaction_id is None:
        return True
    if row.status is TransactionStatus.PENDING and tx.status is TransactionStatus.BOOKED:
        return True  # banks that give pending entries an id often book them under another
    # A row with another id is the same transaction only if the bank re-issued its id: same
    # content booked on the same day. Otherwise it is a twin transaction in its own right.
    return tx.booking_date is not None and tx.booking_date == row.booking_date


def _values(item: Item, today: date, known_date: date | None) -> dict[str, Any]:
    tx = item.tx
    return {
        "provider_transaction_id": tx.provider_id,
        "content_hash": item.content_hash,
        "status": tx.status,
        "booking_date": tx.booking_date,
        "value_date": tx.value_date,
        "transaction_date": tx.booking_date or tx.value_date or known_date or today,
        "amount_minor": tx.amount.to_minor(),
        "currency": tx.amount.currency,
        "counterparty_name": tx.counterparty_name,
        "counterparty_iban": tx.counterparty_iban,
        "remittance": tx.remittance,
        "end_to_end_id": tx.end_to_end_id,
        "bank_transaction_code": tx.bank_transaction_code,
        "raw": tx.raw,
    }


def _new_row(account: BankAccount, item: Item, today: date, taken: set[str]) -> BankTransaction:
    values = _values(item, today, None)
    if item.tx.provider_id is None:
        values["content_hash"] = _free_hash(item, taken)
    return BankTransaction(tenant_id=account.tenant_id, account_id=account.id, **values)


def _free_hash(item: Item, taken: set[str]) -> str:
    """The item's hash, or the next occurrence's if an older fetch's id-less row holds it
    (rows without an id must have unique hashes); reserved in `taken`."""
    occurrence, found = 0, item.content_hash
    while found in taken:
        occurrence += 1
        found = occurrence_hash(item.base, occurrence)
    taken.add(found)
    return found


def _apply(row: BankTransaction, item: Item, today: date) -> bool:
    """Bring `row` up to date with `item`; whether anything changed."""
    values = _values(item, today, row.transaction_date)
    values["provider_transaction_id"] = item.tx.provider_id or row.provider_transaction_id
    if values["provider_transaction_id"] is None:
        values["content_hash"] = row.content_hash  # keeps the id-less rows' hashes unique
    changed = {name: value for name, value in values.items() if getattr(row, name) != value}
    for name, value in changed.items():
        setattr(row, name, value)
    return bool(changed)


def _rows(
    session: Session, account: BankAccount, by: str, keys: list[str]
) -> Iterator[BankTransaction]:
    column = BankTransaction.provider_transaction_id if by == "id" else BankTransaction.content_hash
    for start in range(0, len(keys), IN_CHUNK):
        yield from session.scalars(
            select(BankTransaction).where(
                BankTransaction.tenant_id == account.tenant_id,
                BankTransaction.account_id == account.id,
                column.in_(keys[start : start + IN_CHUNK]),
            )
        )
