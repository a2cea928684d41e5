"""Stripe objects, as ids and amounts only: card data never reaches Payymo (PCI scope)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from payymo.db import Base, TenantOwned, str_enum
from payymo.invoicing.models import ConnectionStatus


class StripePaymentKind(StrEnum):
    CHARGE = "charge"
    PAYMENT_INTENT = "payment_intent"


class StripeConnection(TenantOwned, Base):
    """The tenant's Stripe account, reached with a restricted key stored encrypted."""

    __tablename__ = "stripe_connections"
    __table_args__ = (UniqueConstraint("tenant_id"),)

    account_id: Mapped[str | None] = mapped_column(String(64), default=None)
    api_key_encrypted: Mapped[str] = mapped_column(Text)
    webhook_secret_encrypted: Mapped[str | None] = mapped_column(Text, default=None)
    livemode: Mapped[bool] = mapped_column(default=False)
    status: Mapped[ConnectionStatus] = mapped_column(
        str_enum(ConnectionStatus, "stripe_connection_status"), default=ConnectionStatus.PENDING
    )
    last_verified_at: Mapped[datetime | None] = mapped_column(default=None)
    last_synced_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)


class StripePayment(TenantOwned, Base):
    """A charge or payment intent: gross amount, Stripe's fee and the net that reaches a payout."""

    __tablename__ = "stripe_payments"
    __table_args__ = (
        UniqueConstraint("tenant_id", "stripe_id"),
        Index(None, "tenant_id", "created_at_provider"),
        Index(None, "tenant_id", "payout_id"),
    )

    connection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("stripe_connections.id", ondelete="CASCADE")
    )
    stripe_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[StripePaymentKind] = mapped_column(
        str_enum(StripePaymentKind, "stripe_payment_kind")
    )
    payment_intent_id: Mapped[str | None] = mapped_column(String(64), default=None)
    charge_id: Mapped[str | None] = mapped_column(String(64), default=None)
    customer_id: Mapped[str | None] = mapped_column(String(64), default=None)
    balance_transaction_id: Mapped[str | None] = mapped_column(String(64), default=None)
    payout_id: Mapped[str | None] = mapped_column(String(64), default=None)
    status: Mapped[str] = mapped_column(String(32))
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    fee_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    net_minor: Mapped[int] = mapped_column(BigInteger)
    refunded_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    description: Mapped[str] = mapped_column(Text, default="")
    # Only the metadata keys we read (e.g. whmcs_invoice_id); never card details.
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", default=dict)
    created_at_provider: Mapped[datetime] = mapped_column()


class StripePayout(TenantOwned, Base):
    """Money Stripe sent to a bank account; matched to the bank credit it produced."""

    __tablename__ = "stripe_payouts"
    __table_args__ = (
        UniqueConstraint("tenant_id", "stripe_id"),
        Index(None, "tenant_id", "arrival_date"),
    )

    connection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("stripe_connections.id", ondelete="CASCADE")
    )
    stripe_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(32))
    reconciliation_status: Mapped[str] = mapped_column(String(32), default="not_applicable")
    automatic: Mapped[bool] = mapped_column(default=True)
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    arrival_date: Mapped[date] = mapped_column()
    statement_descriptor: Mapped[str | None] = mapped_column(String(64), default=None)
    balance_transaction_id: Mapped[str | None] = mapped_column(String(64), default=None)
    bank_transaction_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("bank_transactions.id", ondelete="SET NULL"), default=None
    )
    created_at_provider: Mapped[datetime] = mapped_column()


class StripeBalanceTransaction(TenantOwned, Base):
    """One line of the Stripe balance: charge, refund, fee or payout, with fee and net."""

    __tablename__ = "stripe_balance_transactions"
    __table_args__ = (
        UniqueConstraint("tenant_id", "stripe_id"),
        Index(None, "tenant_id", "payout_id"),
        Index(None, "tenant_id", "source_id"),
    )

    connection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("stripe_connections.id", ondelete="CASCADE")
    )
    stripe_id: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(32))
    reporting_category: Mapped[str] = mapped_column(String(64), default="")
    source_id: Mapped[str | None] = mapped_column(String(64), default=None)
    payout_id: Mapped[str | None] = mapped_column(String(64), default=None)
    status: Mapped[str] = mapped_column(String(32))
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    fee_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    net_minor: Mapped[int] = mapped_column(BigInteger)
    available_on: Mapped[datetime | None] = mapped_column(default=None)
    created_at_provider: Mapped[datetime] = mapped_column()
