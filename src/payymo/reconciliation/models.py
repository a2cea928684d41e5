"""Decisions, their allocations, and the outbox of postings towards WHMCS."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from payymo.db import Base, TenantOwned, str_enum


class DecisionStatus(StrEnum):
    AUTO = "auto"
    REVIEW = "review"
    UNMATCHED = "unmatched"
    IGNORED = "ignored"


class DecisionState(StrEnum):
    """Where a decision is in its life: proposed by the engine, then applied or not."""

    PROPOSED = "proposed"
    APPLIED = "applied"
    REJECTED = "rejected"
    REVERSED = "reversed"
    SUPERSEDED = "superseded"


class PostingStatus(StrEnum):
    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Decision(TenantOwned, Base):
    """What the engine (or a reviewer) decided about one bank transaction or Stripe payment."""

    __tablename__ = "decisions"
    __table_args__ = (
        CheckConstraint(
            "(bank_transaction_id IS NULL) <> (stripe_payment_id IS NULL)", name="one_subject"
        ),
        # At most one live decision per subject: older ones are superseded, not deleted.
        Index(
            "uq_decisions_current_bank_transaction",
            "tenant_id",
            "bank_transaction_id",
            unique=True,
            postgresql_where=text("is_current AND bank_transaction_id IS NOT NULL"),
            sqlite_where=text("is_current AND bank_transaction_id IS NOT NULL"),
        ),
        Index(
            "uq_decisions_current_stripe_payment",
            "tenant_id",
            "stripe_payment_id",
            unique=True,
            postgresql_where=text("is_current AND stripe_payment_id IS NOT NULL"),
            sqlite_where=text("is_current AND stripe_payment_id IS NOT NULL"),
        ),
        Index(None, "tenant_id", "status", "state", "created_at"),
    )

    bank_transaction_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("bank_transactions.id", ondelete="CASCADE"), default=None
    )
    stripe_payment_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("stripe_payments.id", ondelete="CASCADE"), default=None
    )
    status: Mapped[DecisionStatus] = mapped_column(str_enum(DecisionStatus, "decision_status"))
    state: Mapped[DecisionState] = mapped_column(
        str_enum(DecisionState, "decision_state"), default=DecisionState.PROPOSED
    )
    is_current: Mapped[bool] = mapped_column(default=True)
    shadow: Mapped[bool] = mapped_column(default=False)
    # Confidence is a score in [0, 1], not money; Numeric keeps it exact and comparable.
    confidence: Mapped[Decimal] = mapped_column(Numeric(5, 4), default=Decimal(0))
    reasons: Mapped[list[Any]] = mapped_column(default=list)
    engine_version: Mapped[str] = mapped_column(String(32), default="")
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    applied_at: Mapped[datetime | None] = mapped_column(default=None)


class Allocation(TenantOwned, Base):
    """Part of a payment applied to one invoice; `fee_minor` is posted as WHMCS `fees`."""

    __tablename__ = "allocations"
    __table_args__ = (
        UniqueConstraint("tenant_id", "decision_id", "invoice_id"),
        Index(None, "tenant_id", "invoice_id"),
        CheckConstraint("amount_minor > 0", name="positive_amount"),
        CheckConstraint("fee_minor >= 0", name="non_negative_fee"),
    )

    decision_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("decisions.id", ondelete="CASCADE"))
    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"))
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    fee_minor: Mapped[int] = mapped_column(BigInteger, default=0)


class Posting(TenantOwned, Base):
    """Outbox row: one `AddInvoicePayment` owed to WHMCS, keyed by a stable `transid`."""

    __tablename__ = "postings"
    __table_args__ = (
        UniqueConstraint("tenant_id", "allocation_id"),
        UniqueConstraint("tenant_id", "transid"),
        Index(None, "tenant_id", "status", "next_attempt_at"),
    )

    # NO ACTION, not RESTRICT: checked at statement end, so a tenant purge's cascade can remove
    # allocations and their postings together, while deleting a posted allocation alone fails.
    allocation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("allocations.id"))
    whmcs_invoice_id: Mapped[int] = mapped_column(BigInteger)
    transid: Mapped[str] = mapped_column(String(128))
    gateway: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    fee_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    payment_date: Mapped[datetime] = mapped_column()
    status: Mapped[PostingStatus] = mapped_column(
        str_enum(PostingStatus, "posting_status"), default=PostingStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    posted_at: Mapped[datetime | None] = mapped_column(default=None)


class WhmcsEffect(StrEnum):
    """Whether a reversed allocation's payment reached WHMCS."""

    POSTED = "posted"  # WHMCS confirmed it: a person must delete it there
    UNCERTAIN = "uncertain"  # an attempt was made and not confirmed: check WHMCS for the transid
    NOT_POSTED = "not_posted"  # never sent: the posting was cancelled, nothing to undo


class Reversal(TenantOwned, Base):
    """An applied allocation taken back by a person (unmatch or reassign), with what to undo."""

    __tablename__ = "reversals"
    __table_args__ = (
        UniqueConstraint("tenant_id", "allocation_id"),
        Index(None, "tenant_id", "decision_id"),
    )

    decision_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("decisions.id", ondelete="CASCADE"))
    allocation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("allocations.id", ondelete="CASCADE")
    )
    whmcs_invoice_id: Mapped[int] = mapped_column(BigInteger)
    transid: Mapped[str | None] = mapped_column(String(128), default=None)
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    fee_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    whmcs_effect: Mapped[WhmcsEffect] = mapped_column(str_enum(WhmcsEffect, "whmcs_effect"))
    undo: Mapped[str | None] = mapped_column(Text, default=None)
    reversed_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
