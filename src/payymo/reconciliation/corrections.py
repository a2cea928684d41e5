"""Correcting a settled payment: unmatch, reassign and split.

Nothing applied is ever deleted. Unmatching reverses the decision: each allocation gets a
`Reversal` row saying whether its payment reached WHMCS. Postings not yet sent are cancelled
(the posting worker never claims a cancelled posting); a payment WHMCS already holds cannot be
taken back through its API, so the reversal carries the instructions for a person to delete it
there. A posting a worker is sending at this very moment makes the action a 409: try again once
the worker is done, and the answer is then certain.

Reassigning (or splitting, which is reassigning to two or more invoices) an applied decision
unmatches it and applies a new current decision with the chosen allocations and fresh postings
(new allocations, so new `transid`s). On a decision that is only proposed, it is an edited
approval. Every action is audited with the acting user.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from payymo.audit.services import record
from payymo.auth.principal import Principal
from payymo.errors import Conflict, FieldError, ValidationFailed
from payymo.http import AppServices
from payymo.money import Money
from payymo.reconciliation import repository
from payymo.reconciliation.models import (
    Allocation,
    Decision,
    DecisionState,
    Posting,
    PostingStatus,
    Reversal,
    WhmcsEffect,
)
from payymo.reconciliation.review import AllocationChoice, apply, locked, new_allocations
from payymo.reconciliation.subjects import subject_of

MANUAL_ENGINE = "manual"


@dataclass
class Correction:
    decision: Decision
    allocations: list[Allocation]
    postings: list[Posting]
    reversals: list[Reversal]


def unmatch(app: AppServices, *, caller: Principal, decision_id: uuid.UUID) -> Correction:
    """Reverse an applied decision; the transaction is left unreconciled."""
    tenant_id = caller.tenant_id
    with app.db.unit_of_work(tenant_id) as session:
        decision = locked(session, tenant_id, decision_id, (DecisionState.APPLIED,))
        reversals = _reverse(app, session, caller, decision)
        record(
            session,
            tenant_id=tenant_id,
            actor=caller.actor,
            action="decision.unmatched",
            object_type="decision",
            object_id=decision.id,
            after=_effects(reversals),
        )
        allocations = repository.allocations_of(session, tenant_id, decision.id)
        return Correction(decision, allocations, [], reversals)


def reassign(
    app: AppServices,
    *,
    caller: Principal,
    decision_id: uuid.UUID,
    choices: list[AllocationChoice],
    action: str = "decision.reassigned",
) -> Correction:
    """Settle the payment on `choices` instead, whatever its decision said before."""
    if not choices:
        raise ValidationFailed(
            detail="nothing to assign",
            errors=[FieldError("allocations", "choose at least one invoice")],
        )
    tenant_id = caller.tenant_id
    states = (DecisionState.PROPOSED, DecisionState.APPLIED, DecisionState.REVERSED)
    with app.db.unit_of_work(tenant_id) as session:
        old = locked(session, tenant_id, decision_id, states)
        subject = subject_of(session, old)
        reversals = []
        if old.state is DecisionState.APPLIED:
            reversals = _reverse(app, session, caller, old)
        if old.state is DecisionState.PROPOSED:
            for allocation in repository.allocations_of(session, tenant_id, old.id):
                session.delete(allocation)
            session.flush()
            decision = old
        else:
            decision = _successor(session, old, caller)
        allocations = new_allocations(session, decision, subject, choices)
        postings = apply(
            app, session, caller=caller, decision=decision, subject=subject, allocations=allocations
        )
        record(
            session,
            tenant_id=tenant_id,
            actor=caller.actor,
            action=action,
            object_type="decision",
            object_id=decision.id,
            before={"decision_id": str(old.id), "state": old.state.value},
            after={"allocations": len(allocations), **_effects(reversals)},
        )
        return Correction(decision, allocations, postings, reversals)


def split(
    app: AppServices, *, caller: Principal, decision_id: uuid.UUID, choices: list[AllocationChoice]
) -> Correction:
    """Spread one payment over two or more invoices."""
    if len(choices) < 2:
        raise ValidationFailed(
            detail="a split needs at least two invoices",
            errors=[FieldError("allocations", "give at least two allocations")],
        )
    return reassign(
        app, caller=caller, decision_id=decision_id, choices=choices, action="decision.split"
    )


def _successor(session: Session, old: Decision, caller: Principal) -> Decision:
    old.is_current = False
    session.flush()  # one current decision per transaction: retire the old one first
    decision = Decision(
        tenant_id=old.tenant_id,
        bank_transaction_id=old.bank_transaction_id,
        stripe_payment_id=old.stripe_payment_id,
        status=old.status,
        confidence=Decimal(1),
        reasons=[
            {
                "code": "assigned_by_person",
                "text": f"assigned by a person in place of decision {old.id}",
            }
        ],
        engine_version=MANUAL_ENGINE,
        decided_by_id=caller.user_id,
    )
    session.add(decision)
    session.flush()
    return decision


def _reverse(
    app: AppServices, session: Session, caller: Principal, decision: Decision
) -> list[Reversal]:
    now = app.clock.now()
    reversals = []
    for allocation in repository.allocations_of(session, decision.tenant_id, decision.id):
        posting = session.scalars(
            select(Posting)
            .where(Posting.tenant_id == decision.tenant_id, Posting.allocation_id == allocation.id)
            .with_for_update()
        ).one_or_none()
        if posting is None:  # an applied allocation always has one; be safe all the same
            raise Conflict(detail="an allocation of this decision has no posting")
        busy = posting.status is PostingStatus.IN_PROGRESS
        if busy and posting.next_attempt_at is not None and posting.next_attempt_at > now:
            raise Conflict(
                detail="a payment of this decision is being sent to WHMCS right now; "
                "try again in a minute"
            )
        effect = _effect_of(posting)
        if posting.status is not PostingStatus.DONE:
            posting.status, posting.next_attempt_at = PostingStatus.CANCELLED, None
        reversal = Reversal(
            tenant_id=decision.tenant_id,
            decision_id=decision.id,
            allocation_id=allocation.id,
            whmcs_invoice_id=posting.whmcs_invoice_id,
            transid=posting.transid,
            currency=posting.currency,
            amount_minor=posting.amount_minor,
            fee_minor=posting.fee_minor,
            whmcs_effect=effect,
            undo=_undo(posting, effect),
            reversed_by_id=caller.user_id,
        )
        session.add(reversal)
        reversals.append(reversal)
    decision.state = DecisionState.REVERSED
    session.flush()
    return reversals


def _effect_of(posting: Posting) -> WhmcsEffect:
    if posting.status is PostingStatus.DONE:
        return WhmcsEffect.POSTED
    if posting.status is PostingStatus.CANCELLED or posting.attempts == 0:
        return WhmcsEffect.NOT_POSTED
    return WhmcsEffect.UNCERTAIN  # tried, never confirmed: it may have reached WHMCS


def _undo(posting: Posting, effect: WhmcsEffect) -> str | None:
    amount = Money.from_minor(posting.amount_minor, posting.currency)
    what = (
        f"the payment of {amount} with transaction ID {posting.transid} "
        f"(gateway {posting.gateway}, dated {posting.payment_date.date().isoformat()})"
    )
    if effect is WhmcsEffect.POSTED:
        return f"In WHMCS, open invoice #{posting.whmcs_invoice_id} and delete {what}."
    if effect is WhmcsEffect.UNCERTAIN:
        return (
            f"Payymo's attempt to post this was never confirmed. In WHMCS, open invoice "
            f"#{posting.whmcs_invoice_id}; if it lists {what}, delete it."
        )
    return None


def _effects(reversals: list[Reversal]) -> dict[str, int]:
    return {
        f"reversed_{effect.value}": sum(r.whmcs_effect is effect for r in reversals)
        for effect in WhmcsEffect
        if any(r.whmcs_effect is effect for r in reversals)
    }
