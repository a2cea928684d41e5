"""Transaction API: correcting a settled payment (unmatch, reassign, split)."""

from __future__ import annotations

import uuid

from flask import Blueprint
from pydantic import Field

from payymo.api.context import Ctx
from payymo.api.registry import endpoint
from payymo.api.schemas import ApiModel, MoneyOut
from payymo.auth.principal import Permission
from payymo.banking.schemas import DecisionOut, decision_out
from payymo.reconciliation import corrections
from payymo.reconciliation.models import Reversal
from payymo.reconciliation.views import AllocationIn, PostingOut, posting_out, to_choice

corrections_bp = Blueprint("corrections", __name__, url_prefix="/api/v1/decisions")


class ReversalOut(ApiModel):
    whmcs_invoice_id: int
    transid: str | None
    amount: MoneyOut
    fee: MoneyOut
    whmcs: str = Field(
        description="posted: WHMCS holds the payment; uncertain: an attempt was never "
        "confirmed; not_posted: it never reached WHMCS"
    )
    undo: str | None = Field(description="What to undo in WHMCS by hand, if anything")


class CorrectionOut(ApiModel):
    decision: DecisionOut
    postings: list[PostingOut]
    reversals: list[ReversalOut]


class AllocationsIn(ApiModel):
    allocations: list[AllocationIn] = Field(min_length=1, max_length=50)


class SplitIn(ApiModel):
    allocations: list[AllocationIn] = Field(min_length=2, max_length=50)


def _out(done: corrections.Correction) -> CorrectionOut:
    return CorrectionOut(
        decision=decision_out(done.decision, done.allocations),
        postings=[posting_out(p) for p in done.postings],
        reversals=[_reversal_out(r) for r in done.reversals],
    )


def _reversal_out(r: Reversal) -> ReversalOut:
    return ReversalOut(
        whmcs_invoice_id=r.whmcs_invoice_id,
        transid=r.transid,
        amount=MoneyOut.of(r.amount_minor, r.currency),
        fee=MoneyOut.of(r.fee_minor, r.currency),
        whmcs=r.whmcs_effect.value,
        undo=r.undo,
    )


@endpoint(
    corrections_bp,
    "POST",
    "/<uuid:decision_id>/unmatch",
    summary="Unmatch an applied decision; says what to undo in WHMCS",
    description="Reverses the decision: postings not yet sent are cancelled; for a payment "
    "WHMCS already holds, the reversal says what to delete there. 409 while a payment of the "
    "decision is being sent.",
    permission=Permission.RECONCILE,
    response=CorrectionOut,
    resource="decision",
)
def unmatch(ctx: Ctx, decision_id: uuid.UUID) -> CorrectionOut:
    return _out(corrections.unmatch(ctx.services, caller=ctx.caller, decision_id=decision_id))


@endpoint(
    corrections_bp,
    "POST",
    "/<uuid:decision_id>/reassign",
    summary="Assign the payment to other invoices",
    description="On a proposed decision, an edited approval. On an applied one, it is "
    "unmatched first (see unmatch) and a new decision with these allocations is applied.",
    permission=Permission.RECONCILE,
    body=AllocationsIn,
    response=CorrectionOut,
    resource="decision",
)
def reassign(ctx: Ctx, decision_id: uuid.UUID, body: AllocationsIn) -> CorrectionOut:
    choices = [to_choice(n, a) for n, a in enumerate(body.allocations)]
    return _out(
        corrections.reassign(
            ctx.services, caller=ctx.caller, decision_id=decision_id, choices=choices
        )
    )


@endpoint(
    corrections_bp,
    "POST",
    "/<uuid:decision_id>/split",
    summary="Split the payment over two or more invoices",
    description="Like reassign, with at least two allocations.",
    permission=Permission.RECONCILE,
    body=SplitIn,
    response=CorrectionOut,
    resource="decision",
)
def split(ctx: Ctx, decision_id: uuid.UUID, body: SplitIn) -> CorrectionOut:
    choices = [to_choice(n, a) for n, a in enumerate(body.allocations)]
    return _out(
        corrections.split(ctx.services, caller=ctx.caller, decision_id=decision_id, choices=choices)
    )
