"""The review queue: decisions a person settles. Approving writes the postings owed to WHMCS
(the outbox) in the same transaction; the decision row is locked, so however many people (or
retries) approve at once, one approval wins and the rest get 409.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from payymo.api.pagination import PageQuery, keyset_page, parse_datetime, parse_uuid
from payymo.audit.services import record
from payymo.auth.principal import Principal
from payymo.errors import Conflict, FieldError, NotFound, ValidationFailed
from payymo.http import AppServices
from payymo.invoicing.models import Invoice
from payymo.money import Money, MoneyError
from payymo.reconciliation import repository
from payymo.reconciliation.models import (
    Allocation,
    Decision,
    DecisionState,
    Posting,
)
from payymo.reconciliation.subjects import Subject, queue_posting, subject_of


@dataclass(frozen=True)
class AllocationChoice:
    invoice_id: uuid.UUID
    amount: Decimal  # in the payment's currency
    fee: Decimal = Decimal(0)


def review_page(
    app: AppServices, *, tenant_id: uuid.UUID, page: PageQuery
) -> tuple[list[tuple[Decision, list[Allocation]]], str | None]:
    """Open review items, newest first, with their suggested allocations."""
    query = repository.open_review(tenant_id)
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
        decision = locked(session, tenant_id, decision_id)
        subject = subject_of(session, decision)
        allocations = repository.allocations_of(session, tenant_id, decision.id)
        if choices is not None:
            for allocation in allocations:
                session.delete(allocation)
            session.flush()
            allocations = new_allocations(session, decision, subject, choices)
        postings = apply(
            app, session, caller=caller, decision=decision, subject=subject, allocations=allocations
        )
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


def apply(
    app: AppServices,
    session: Session,
    *,
    caller: Principal,
    decision: Decision,
    subject: Subject,
    allocations: list[Allocation],
) -> list[Posting]:
    """Mark `decision` applied by the caller and queue one posting per allocation."""
    if not allocations:
        raise ValidationFailed(
            detail="nothing to post",
            errors=[FieldError("allocations", "choose at least one invoice")],
        )
    decision.state, decision.applied_at = DecisionState.APPLIED, app.clock.now()
    decision.decided_by_id = caller.user_id
    return [queue_posting(session, subject, a) for a in allocations]


def reject(app: AppServices, *, caller: Principal, decision_id: uuid.UUID) -> Decision:
    """Turn a suggestion down; the transaction stays unreconciled."""
    with app.db.unit_of_work(caller.tenant_id) as session:
        decision = locked(session, caller.tenant_id, decision_id)
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


def locked(
    session: Session,
    tenant_id: uuid.UUID,
    decision_id: uuid.UUID,
    states: tuple[DecisionState, ...] = (DecisionState.PROPOSED,),
) -> Decision:
    """The current decision, row-locked for this transaction, if it is in one of `states`."""
    decision = session.scalars(
        select(Decision)
        .where(Decision.tenant_id == tenant_id, Decision.id == decision_id)
        .with_for_update()
    ).one_or_none()
    if decision is None:
        raise NotFound(detail="no such decision")
    if not decision.is_current or decision.state not in states:
        state = decision.state.value if decision.is_current else DecisionState.SUPERSEDED.value
        raise Conflict(detail=f"the decision is {state}: this action does not apply to it")
    return decision


def new_allocations(
    session: Session, decision: Decision, subject: Subject, choices: list[AllocationChoice]
) -> list[Allocation]:
    """Validated allocations of the payment per `choices`, added to `decision`."""
    invoices = {
        i.id: i
        for i in session.scalars(
            select(Invoice).where(
                Invoice.tenant_id == decision.tenant_id,
                Invoice.id.in_([c.invoice_id for c in choices]),
            )
        )
    }
    minor = _in_minor_units(subject.currency, choices)
    errors = _check(subject, choices, minor, invoices)
    if errors:
        raise ValidationFailed(detail="the allocations do not fit", errors=errors)
    fresh = [
        Allocation(
            tenant_id=decision.tenant_id,
            decision_id=decision.id,
            invoice_id=c.invoice_id,
            currency=subject.currency,
            amount_minor=amount,
            fee_minor=fee,
        )
        for c, (amount, fee) in zip(choices, minor, strict=True)
    ]
    session.add_all(fresh)
    session.flush()
    return fresh


def _in_minor_units(currency: str, choices: list[AllocationChoice]) -> list[tuple[int, int]]:
    minor = [
        (
            _minor(c.amount, currency, f"allocations.{n}.amount"),
            _minor(c.fee, currency, f"allocations.{n}.fee"),
        )
        for n, c in enumerate(choices)
    ]
    if any(amount <= 0 or fee < 0 for amount, fee in minor):
        raise ValidationFailed(
            detail="invalid allocation",
            errors=[FieldError("allocations", "amounts must be positive and fees not negative")],
        )
    return minor


def _minor(amount: Decimal, currency: str, where: str) -> int:
    try:
        return Money(amount, currency).to_minor()
    except MoneyError as exc:
        raise ValidationFailed(
            detail="invalid allocation", errors=[FieldError(where, str(exc))]
        ) from None


def _check(
    subject: Subject,
    choices: list[AllocationChoice],
    minor: list[tuple[int, int]],
    invoices: dict[uuid.UUID, Invoice],
) -> list[FieldError]:
    errors = []
    if sum(amount for amount, _ in minor) > subject.amount_minor:
        errors.append(FieldError("allocations", "together they exceed the payment"))
    for n, (choice, (amount, fee)) in enumerate(zip(choices, minor, strict=True)):
        invoice = invoices.get(choice.invoice_id)
        where = f"allocations.{n}"
        if invoice is None:
            errors.append(FieldError(f"{where}.invoice_id", "no such invoice"))
        elif invoice.currency != subject.currency:
            errors.append(FieldError(f"{where}.invoice_id", "invoiced in another currency"))
        elif amount + fee > invoice.balance_minor:
            errors.append(FieldError(f"{where}.amount", "more than the invoice's open balance"))
    if len({c.invoice_id for c in choices}) != len(choices):
        errors.append(FieldError("allocations", "each invoice at most once"))
    return errors
