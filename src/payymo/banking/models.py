"""Bank connections, accounts and transactions. Amounts are signed minor units (credit +)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint, event, text
from sqlalchemy.orm import Mapped, mapped_column

from payymo.db import Base, TenantOwned, str_enum
from payymo.invoicing.models import ConnectionStatus
from payymo.text import search_text


class RequisitionStatus(StrEnum):
    """GoCardless requisition statuses, including the swagger-only ID, ER and SU."""

    CREATED = "CR"
    GIVING_CONSENT = "GC"
    UNDERGOING_AUTHENTICATION = "UA"
    REJECTED = "RJ"
    SELECTING_ACCOUNTS = "SA"
    GRANTING_ACCESS = "GA"
    LINKED = "LN"
    EXPIRED = "EX"
    ID = "ID"
    ERROR = "ER"
    SUSPENDED = "SU"


class AccountSource(StrEnum):
    GOCARDLESS = "gocardless"
    UPLOAD = "upload"


class TransactionStatus(StrEnum):
    BOOKED = "booked"
    PENDING = "pending"


class BankConnection(TenantOwned, Base):
    """An Open Banking consent (a GoCardless requisition and its end-user agreement)."""

    __tablename__ = "bank_connections"
    __table_args__ = (
        UniqueConstraint("tenant_id", "provider", "requisition_id"),
        UniqueConstraint("tenant_id", "reference"),
    )

    provider: Mapped[str] = mapped_column(String(32), default=AccountSource.GOCARDLESS.value)
    institution_id: Mapped[str] = mapped_column(String(128))
    institution_name: Mapped[str] = mapped_column(String(200), default="")
    agreement_id: Mapped[str | None] = mapped_column(String(64), default=None)
    requisition_id: Mapped[str | None] = mapped_column(String(64), default=None)
    reference: Mapped[str] = mapped_column(String(256))
    link: Mapped[str | None] = mapped_column(String(1024), default=None)
    requisition_status: Mapped[RequisitionStatus] = mapped_column(
        str_enum(RequisitionStatus, "requisition_status", length=2),
        default=RequisitionStatus.CREATED,
    )
    status: Mapped[ConnectionStatus] = mapped_column(
        str_enum(ConnectionStatus, "bank_connection_status"), default=ConnectionStatus.PENDING
    )
    max_historical_days: Mapped[int] = mapped_column(default=90)
    access_valid_for_days: Mapped[int] = mapped_column(default=90)
    linked_at: Mapped[datetime | None] = mapped_column(default=None)
    consent_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)


class BankAccount(TenantOwned, Base):
    """One bank account; its identity survives a consent renewal (same provider account id)."""

    __tablename__ = "bank_accounts"
    __table_args__ = (UniqueConstraint("tenant_id", "source", "provider_account_id"),)

    connection_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("bank_connections.id", ondelete="SET NULL"), default=None
    )
    source: Mapped[AccountSource] = mapped_column(str_enum(AccountSource, "account_source"))
    provider_account_id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(200), default="")
    iban: Mapped[str | None] = mapped_column(String(34), default=None)
    currency: Mapped[str] = mapped_column(String(3))
    owner_name: Mapped[str] = mapped_column(String(200), default="")
    # The WHMCS payment gateway that payments into this account are posted under.
    whmcs_gateway: Mapped[str] = mapped_column(String(64), default="banktransfer")
    is_active: Mapped[bool] = mapped_column(default=True)
    last_synced_at: Mapped[datetime | None] = mapped_column(default=None)
    synced_through: Mapped[date | None] = mapped_column(default=None)
    next_sync_allowed_at: Mapped[datetime | None] = mapped_column(default=None)


class BankTransaction(TenantOwned, Base):
    """A transaction as the bank reported it; idempotent on provider id, else content hash."""

    __tablename__ = "bank_transactions"
    __table_args__ = (
        UniqueConstraint("tenant_id", "account_id", "provider_transaction_id"),
        Index(
            "uq_bank_transactions_content_hash_without_provider_id",
            "tenant_id",
            "account_id",
            "content_hash",
            unique=True,
            postgresql_where=text("provider_transaction_id IS NULL"),
            sqlite_where=text("provider_transaction_id IS NULL"),
        ),
        Index(None, "tenant_id", "transaction_date", "id"),
        Index(None, "tenant_id", "account_id", "transaction_date", "id"),
    )

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("bank_accounts.id", ondelete="CASCADE")
    )
    # internalTransactionId, else transactionId; None for banks that give neither.
    provider_transaction_id: Mapped[str | None] = mapped_column(String(128), default=None)
    content_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[TransactionStatus] = mapped_column(
        str_enum(TransactionStatus, "bank_transaction_status")
    )
    booking_date: Mapped[date | None] = mapped_column(default=None)
    value_date: Mapped[date | None] = mapped_column(default=None)
    # booking date, else value date, else the day it was first seen: never null, so lists can
    # page through it with a keyset.
    transaction_date: Mapped[date] = mapped_column()
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    counterparty_name: Mapped[str] = mapped_column(String(200), default="")
    counterparty_iban: Mapped[str | None] = mapped_column(String(34), default=None)
    remittance: Mapped[str] = mapped_column(Text, default="")
    end_to_end_id: Mapped[str | None] = mapped_column(String(128), default=None)
    bank_transaction_code: Mapped[str | None] = mapped_column(String(64), default=None)
    raw: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # What `q` finds it by (payer, remittance), folded; kept on every write.
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")


@event.listens_for(BankTransaction, "before_insert")
@event.listens_for(BankTransaction, "before_update")
def _keep_search_text(_mapper: Any, _connection: Any, tx: BankTransaction) -> None:
    tx.search_text = search_text(tx.counterparty_name, tx.remittance)


class ProviderCallScope(StrEnum):
    """The per-account scopes a bank counts calls in (GoCardless: 4 successes a day each)."""

    DETAILS = "details"
    BALANCES = "balances"
    TRANSACTIONS = "transactions"


class BankCallLedger(TenantOwned, Base):
    """Successful provider calls per account, scope and UTC day, and when the next is allowed.

    The sync consults it before calling, so Payymo never spends more than the provider's daily
    quota (minus a reserve for manual syncs) and can tell users when the next call is possible.
    """

    __tablename__ = "bank_call_ledger"
    __table_args__ = (UniqueConstraint("tenant_id", "account_id", "scope", "day"),)

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("bank_accounts.id", ondelete="CASCADE")
    )
    scope: Mapped[ProviderCallScope] = mapped_column(
        str_enum(ProviderCallScope, "provider_call_scope")
    )
    day: Mapped[date] = mapped_column()
    successes: Mapped[int] = mapped_column(default=0)
    limit: Mapped[int | None] = mapped_column(default=None)  # as the provider last reported it
    blocked_until: Mapped[datetime | None] = mapped_column(default=None)  # after a 429
