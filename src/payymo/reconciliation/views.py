"""Transaction API: running the reconciliation engine over the tenant's synced data."""

from __future__ import annotations

import uuid

from flask import Blueprint
from pydantic import Field

from payymo.api.context import Ctx
from payymo.api.pagination import PageQuery
from payymo.api.registry import Limit, endpoint
from payymo.api.schemas import ApiModel, MoneyOut, Page
from payymo.auth.principal import Permission
from payymo.banking.schemas import DecisionOut, decision_out
from payymo.errors import FieldError, ValidationFailed
from payymo.money import MoneyError, parse_amount
from payymo.reconciliation import posting, review, services
from payymo.reconciliation.models import Posting

reconciliation_bp = Blueprint("reconciliation", __name__, url_prefix="/api/v1/reconciliation")


class RunOut(ApiModel):
    decided: int = Field(description="Decisions this run stored: new, or replacing a proposed one")
    unchanged: int = Field(
        description="Payments whose decision stays: the same answer, or settled by a person"
    )
    by_status: dict[str, int] = Field(description="The decisions stored, by status")
    in_review: int = Field(description="Decisions waiting for a person now: what GET /review lists")


@endpoint(
    reconciliation_bp,
    "POST",
    "/run",
    summary="Decide every booked transaction now",
    permission=Permission.RECONCILE,
    response=RunOut,
    limit=Limit.RECONCILIATION,
    description="Stores a decision per booked transaction whose answer changed; applied, "
    "rejected or reversed decisions are never changed, and running twice changes nothing. "
    "The counts are what this run stored; `in_review` is the review queue it leaves.",
)
def run(ctx: Ctx) -> RunOut:
    result = services.run_reconciliation(ctx.services, tenant_id=ctx.caller.tenant_id)
    return RunOut(
        decided=result.decided,
        unchanged=result.unchanged,
        by_status=result.by_status,
        in_review=result.in_review,
    )


class PostRunOut(ApiModel):
    posted: int
    already_there: int
    failed: int
    errors: list[str]


@endpoint(
    reconciliation_bp,
    "POST",
    "/post",
    summary="Send due postings to WHMCS now",
    permission=Permission.RECONCILE,
    response=PostRunOut,
    limit=Limit.RECONCILIATION,
    upstream=True,
    errors=(404,),
    description="Each allocation is posted once: WHMCS is asked for the posting's "
    "`transid` first, and the invoice is re-checked.",
)
def post_now(ctx: Ctx) -> PostRunOut:
    run = posting.post_due(ctx.services, tenant_id=ctx.caller.tenant_id)
    return PostRunOut(
        posted=run.posted, already_there=run.already_there, failed=run.failed, errors=run.errors
    )


review_bp = Blueprint("review", __name__, url_prefix="/api/v1/review")
decisions_bp = Blueprint("decisions", __name__, url_prefix="/api/v1/decisions")


class ReviewItemOut(ApiModel):
    decision: DecisionOut
    transaction_id: uuid.UUID | None = Field(description="The bank transaction, if it is one")
    stripe_payment_id: uuid.UUID | None = Field(description="The Stripe payment, if it is one")


class ReviewPage(Page[ReviewItemOut]):
    pass


class AllocationIn(ApiModel):
    invoice_id: uuid.UUID
    amount: str = Field(
        max_length=32,
        description="Decimal string in the payment's currency",
        examples=["29.00"],
    )
    fee: str = Field(
        default="0",
        max_length=32,
        description="Bank or Stripe fee, posted as WHMCS fees",
        examples=["0.50"],
    )


class ApproveIn(ApiModel):
    allocations: list[AllocationIn] | None = Field(
        default=None, max_length=50, description="Omit to approve the suggestion as it is"
    )


class PostingOut(ApiModel):
    id: uuid.UUID
    whmcs_invoice_id: int
    transid: str
    amount: MoneyOut
    fee: MoneyOut
    status: str


def posting_out(p: Posting) -> PostingOut:
    return PostingOut(
        id=p.id,
        whmcs_invoice_id=p.whmcs_invoice_id,
        transid=p.transid,
        amount=MoneyOut.of(p.amount_minor, p.currency),
        fee=MoneyOut.of(p.fee_minor, p.currency),
        status=p.status.value,
    )


class ApprovedOut(ApiModel):
    postings: list[PostingOut]


@endpoint(
    review_bp,
    "GET",
    "",
    summary="Decisions waiting for a person, with reasons",
    permission=Permission.READ,
    query=PageQuery,
    response=ReviewPage,
)
def list_review(ctx: Ctx, query: PageQuery) -> ReviewPage:
    rows, cursor = review.review_page(ctx.services, tenant_id=ctx.caller.tenant_id, page=query)
    return ReviewPage(
        data=[
            ReviewItemOut(
                decision=decision_out(d, a),
                transaction_id=d.bank_transaction_id,
                stripe_payment_id=d.stripe_payment_id,
            )
            for d, a in rows
        ],
        next_cursor=cursor,
    )


@endpoint(
    decisions_bp,
    "POST",
    "/<uuid:decision_id>/approve",
    summary="Approve a suggestion (optionally edited); queues the WHMCS postings",
    permission=Permission.RECONCILE,
    body=ApproveIn,
    response=ApprovedOut,
    resource="decision",
)
def approve(ctx: Ctx, decision_id: uuid.UUID, body: ApproveIn) -> ApprovedOut:
    choices = (
        None
        if body.allocations is None
        else [to_choice(n, a) for n, a in enumerate(body.allocations)]
    )
    postings = review.approve(
        ctx.services, caller=ctx.caller, decision_id=decision_id, choices=choices
    )
    return ApprovedOut(postings=[posting_out(p) for p in postings])


@endpoint(
    decisions_bp,
    "POST",
    "/<uuid:decision_id>/reject",
    summary="Reject a suggestion",
    permission=Permission.RECONCILE,
    status=204,
    resource="decision",
)
def reject(ctx: Ctx, decision_id: uuid.UUID) -> None:
    review.reject(ctx.services, caller=ctx.caller, decision_id=decision_id)


def to_choice(n: int, allocation: AllocationIn) -> review.AllocationChoice:
    try:
        return review.AllocationChoice(
            allocation.invoice_id, parse_amount(allocation.amount), parse_amount(allocation.fee)
        )
    except MoneyError as exc:
        raise ValidationFailed(
            detail="invalid allocation", errors=[FieldError(f"allocations.{n}", str(exc))]
        ) from None
