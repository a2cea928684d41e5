"""The review queue: decisions a person settles. Approving writes the postings owed to WHMCS
(the outbox) in the same transaction; the decision row is locked, so however many people (or
retries) approve at once, one approval wins and the rest get 409.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, time
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from payymo.api.pagination import PageQuery, keyset_page, parse_datetime, parse_uuid
from payymo.audit.services import record
from payymo.auth.principal import Principal
from payymo.banking.models import BankAccount, BankTransaction
from payymo.errors import Conflict, FieldError, NotFound, ValidationFailed
from payymo.http import AppServices
from payymo.invoicing.models import Invoice
from payymo.money import Money, MoneyError
from payymo.reconciliation import repository
from payymo.reconciliation.models import (
    Allocation,
    Decision,
    DecisionState,
    DecisionStatus,
    Posting,
)


@dataclass(frozen=True)
class AllocationChoice:
    invoice_id: uuid.UUID
    amount: Decimal  # in the payment's currency
    fee: Decimal = Decimal(0)


def review_page(
    app: AppServices, *, tenant_id: uuid.UUID, page: PageQuery
) -> tuple[list[tuple[Decision, list[Allocation]]], str | None]:
    """Open review items, newest first, with their suggested allocations."""
    query = select(Decision).where(
        Decision.tenant_id == tenant_id,
        Decision.is_current.is_(True),
        Decision.status == DecisionStatus.REVIEW,
        Decision.state == DecisionState.PROPOSED,
    )
    with app.db.unit_of_work(tenant_id) as session:
        rows: list[Decision]
        rows, cursor = keyset_page(
            session,
            query,
            order=(Decision.created_at, Decision.id),
            parsers=(parse_datetime, parse_uuid),
            key=lambda d: (d.created_at, d.id),
            page=page,
        )
        return [(d, repository.allocations_of(session, tenant_id, d.id)) for d in rows], cursor


def approve(
    app: AppServices,
    *,
    caller: Principal,
    decision_id: uuid.UUID,
    choices: list[AllocationChoice] | None = None,
) -> list[Posting]:
    """Apply a proposed decision (its suggestion, or `choices`) and queue its postings."""
    tenant_id = caller.tenant_id
    with app.db.unit_of_work(tenant_id) as session:
        decision = _locked(session, tenant_id, decision_id)
        tx = session.get(BankTransaction, decision.bank_transaction_id)
        if tx is None or tx.tenant_id != tenant_id:
            raise Conflict(detail="only bank-transaction decisions can be approved here")
        allocations = repository.allocations_of(session, tenant_id, decision.id)
        if choices is not None:
            allocations = _replace(session, decision, tx, allocations, choices)
        if not allocations:
            raise ValidationFailed(
                detail="nothing to post",
                errors=[FieldError("allocations", "choose at least one invoice")],
            )
        decision.state, decision.applied_at = DecisionState.APPLIED, app.clock.now()
        decision.decided_by_id = caller.user_id
        postings = [_posting(session, tx, a) for a in allocations]
        record(
            session,
            tenant_id=tenant_id,
            actor=caller.actor,
            action="decision.approved",
            object_type="decision",
            object_id=decision.id,
            after={"allocations": len(allocations), "edited": choices is not None},
        )
        return postings


def reject(app: AppServices, *, caller: Principal, decision_id: uuid.UUID) -> Decision:
    """Turn a suggestion down; the transaction stays unreconciled."""
    with app.db.unit_of_work(caller.tenant_id) as session:
        decision = _locked(session, caller.tenant_id, decision_id)
        decision.state, decision.decided_by_id = DecisionState.REJECTED, caller.user_id
        record(
            session,
            tenant_id=caller.tenant_id,
            actor=caller.actor,
            action="decision.rejected",
            object_type="decision",
            object_id=decision.id,
        )
        return decision


def _locked(session: Session, tenant_id: uuid.UUID, decision_id: uuid.UUID) -> Decision:
    decision = session.scalars(
        select(Decision)
        .where(Decision.tenant_id == tenant_id, Decision.id == decision_id)
        .with_for_update()
    ).one_or_none()
    if decision is None:
        raise NotFound(detail="no such decision")
    if not decision.is_current or decision.state is not DecisionState.PROPOSED:
        raise Conflict(detail=f"the decision is already {decision.state.value}")
    return decision


def _replace(
    session: Session,
    decision: Decision,
    tx: BankTransaction,
    old: list[Allocation],
    choices: list[AllocationChoice],
) -> list[Allocation]:
    invoices = {
        i.id: i
        for i in session.scalars(
            select(Invoice).where(
                Invoice.tenant_id == decision.tenant_id,
                Invoice.id.in_([c.invoice_id for c in choices]),
            )
        )
    }
    minor = _in_minor_units(tx.currency, choices)
    errors = _check(tx, choices, minor, invoices)
    if errors:
        raise ValidationFailed(detail="the allocations do not fit", errors=errors)
    for allocation in old:
        session.delete(allocation)
    session.flush()
    fresh = [
        Allocation(
            tenant_id=decision.tenant_id,
            decision_id=decision.id,
            invoice_id=c.invoice_id,
            currency=tx.currency,
            amount_minor=amount,
            fee_minor=fee,
        )
        for c, (amount, fee) in zip(choices, minor, strict=True)
    ]
    session.add_all(fresh)
    session.flush()
    return fresh


def _in_minor_units(currency: str, choices: list[AllocationChoice]) -> list[tuple[int, int]]:
    try:
        minor = [
            (Money(c.amount, currency).to_minor(), Money(c.fee, currency).to_minor())
            for c in choices
        ]
    except MoneyError as exc:
        raise ValidationFailed(
            detail="invalid allocation", errors=[FieldError("allocations", str(exc))]
        ) from None
    if any(amount <= 0 or fee < 0 for amount, fee in minor):
        raise ValidationFailed(
            detail="invalid allocation",
            errors=[FieldError("allocations", "amounts must be positive and fees not negative")],
        )
    return minor


def _check(
    tx: BankTransaction,
    choices: list[AllocationChoice],
    minor: list[tuple[int, int]],
    invoices: dict[uuid.UUID, Invoice],
) -> list[FieldError]:
    errors = []
    if sum(amount for amount, _ in minor) > tx.amount_minor:
        errors.append(FieldError("allocations", "together they exceed the payment"))
    for n, (choice, (amount, fee)) in enumerate(zip(choices, minor, strict=True)):
        invoice = invoices.get(choice.invoice_id)
        where = f"allocations.{n}"
        if invoice is None:
            errors.append(FieldError(f"{where}.invoice_id", "no such invoice"))
        elif invoice.currency != tx.currency:
            errors.append(FieldError(f"{where}.invoice_id", "invoiced in another currency"))
        elif amount + fee > invoice.balance_minor:
            errors.append(FieldError(f"{where}.amount", "more than the invoice's open balance"))
    if len({c.invoice_id for c in choices}) != len(choices):
        errors.append(FieldError("allocations", "each invoice at most once"))
    return errors


def _posting(session: Session, tx: BankTransaction, allocation: Allocation) -> Posting:
    invoice = session.get(Invoice, allocation.invoice_id)
    account = session.get(BankAccount, tx.account_id)
    if invoice is None or account is None:  # the foreign keys make this impossible
        raise NotFound(detail="the allocation's invoice or account is gone")
    paid = datetime.combine(tx.booking_date or tx.transaction_date, time(12), tzinfo=UTC)
    posting = Posting(
        tenant_id=tx.tenant_id,
        allocation_id=allocation.id,
        whmcs_invoice_id=invoice.whmcs_invoice_id,
        # Stable per allocation: WHMCS is asked for it before any retry posts again.
        transid=f"payymo-{allocation.id.hex}",
        gateway=account.whmcs_gateway,
        currency=allocation.currency,
        amount_minor=allocation.amount_minor + allocation.fee_minor,
        fee_minor=allocation.fee_minor,
        payment_date=paid,
    )
    session.add(posting)
    session.flush()
    return posting
