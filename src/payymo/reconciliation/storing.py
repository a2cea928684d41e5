"""Storing the engine's decisions: one current decision per payment, changed only when the
engine now says something different, and applied at once when the tenant lets sure matches post.

A decision that was applied, rejected or reversed is final here. A proposed one is replaced
(and kept as `superseded`) when the answer changes. With auto-posting on and shadow mode off,
an `auto` decision is applied in the same transaction that stores it and its postings are
queued there too (the outbox); otherwise it is recorded with `shadow: true` and waits for a
person.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from payymo.audit.services import Actor, record
from payymo.events.emit import emit
from payymo.events.models import EventType
from payymo.invoicing.models import Invoice
from payymo.reconciliation import repository
from payymo.reconciliation.engine import Decision as EngineDecision
from payymo.reconciliation.engine import Status
from payymo.reconciliation.models import Allocation, Decision, DecisionState, DecisionStatus
from payymo.reconciliation.subjects import Subject, queue_posting

ENGINE_VERSION = "1"
ENGINE_ACTOR = Actor.system("engine")


@dataclass(frozen=True)
class Target:
    """What a decision is about: a bank transaction or a Stripe payment, and how to post it."""

    bank_transaction_id: uuid.UUID | None
    stripe_payment_id: uuid.UUID | None
    subject: Subject

    @property
    def object(self) -> tuple[str, uuid.UUID]:
        if self.stripe_payment_id is not None:
            return "stripe_payment", self.stripe_payment_id
        if self.bank_transaction_id is not None:
            return "bank_transaction", self.bank_transaction_id
        raise ValueError("a decision is about a bank transaction or a Stripe payment")


@dataclass(frozen=True)
class Policy:
    shadow: bool  # record autos without applying them
    now: datetime


def store(
    session: Session,
    tenant_id: uuid.UUID,
    target: Target,
    decision: EngineDecision,
    *,
    existing: Decision | None,
    invoices: dict[str, Invoice],
    policy: Policy,
) -> bool:
    """Store `decision` unless it is what `existing` already says; True if stored."""
    if existing is not None and existing.state is not DecisionState.PROPOSED:
        return False  # applied, rejected or reversed by a person or a posting: final here
    wanted = [
        (invoices[a.invoice_id].id, a.amount_minor, a.fee_minor) for a in decision.allocations
    ]
    if existing is not None and _same(session, tenant_id, existing, decision, wanted):
        return False
    if existing is not None:
        existing.is_current = False
        existing.state = DecisionState.SUPERSEDED
        session.flush()
    apply_now = decision.status is Status.AUTO and not policy.shadow
    row = Decision(
        tenant_id=tenant_id,
        bank_transaction_id=target.bank_transaction_id,
        stripe_payment_id=target.stripe_payment_id,
        status=DecisionStatus(decision.status.value),
        confidence=Decimal(str(decision.confidence)).quantize(Decimal("0.0001")),
        reasons=[{"code": r.code, "text": r.text} for r in decision.reasons],
        engine_version=ENGINE_VERSION,
        shadow=policy.shadow and decision.status is Status.AUTO,
    )
    session.add(row)
    session.flush()
    allocations = [
        Allocation(
            tenant_id=tenant_id,
            decision_id=row.id,
            invoice_id=invoice_id,
            currency=decision.currency,
            amount_minor=amount,
            fee_minor=fee,
        )
        for invoice_id, amount, fee in wanted
    ]
    session.add_all(allocations)
    session.flush()
    if apply_now:
        row.state, row.applied_at = DecisionState.APPLIED, policy.now
        for allocation in allocations:
            queue_posting(session, target.subject, allocation)
    object_type, object_id = target.object
    if row.status is DecisionStatus.REVIEW:
        emit(
            session,
            tenant_id=tenant_id,
            type=EventType.MATCH_NEEDS_REVIEW,
            key=f"match.needs_review:{row.id}",
            payload={
                "decision_id": str(row.id),
                object_type + "_id": str(object_id),
                "confidence": float(row.confidence),
                "reasons": [r["text"] for r in row.reasons][:5],
            },
        )
    record(
        session,
        tenant_id=tenant_id,
        actor=ENGINE_ACTOR,
        action="decision.auto_applied" if apply_now else "decision.proposed",
        object_type=object_type,
        object_id=object_id,
        after={"status": row.status.value, "allocations": len(wanted), "shadow": row.shadow},
    )
    return True


def _same(
    session: Session,
    tenant_id: uuid.UUID,
    existing: Decision,
    decision: EngineDecision,
    wanted: list[tuple[uuid.UUID, int, int]],
) -> bool:
    have = sorted(
        (a.invoice_id, a.amount_minor, a.fee_minor)
        for a in repository.allocations_of(session, tenant_id, existing.id)
    )
    return existing.status.value == decision.status.value and have == sorted(wanted)
