"""WHMCS connection and the local invoice snapshot. Money in integer minor units + ISO code."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Index, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column

from payymo.db import Base, TenantOwned, str_enum
from payymo.text import search_text


class ConnectionStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    ERROR = "error"
    EXPIRED = "expired"
    DISCONNECTED = "disconnected"


class InvoiceStatus(StrEnum):
    """WHMCS invoice statuses, spelled as WHMCS spells them."""

    DRAFT = "Draft"
    UNPAID = "Unpaid"
    PAID = "Paid"
    CANCELLED = "Cancelled"
    REFUNDED = "Refunded"
    COLLECTIONS = "Collections"
    PAYMENT_PENDING = "Payment Pending"


class WhmcsConnection(TenantOwned, Base):
    """One WHMCS installation per tenant; credentials are MultiFernet tokens, never plaintext."""

    __tablename__ = "whmcs_connections"
    __table_args__ = (UniqueConstraint("tenant_id"),)

    base_url: Mapped[str] = mapped_column(String(500))
    identifier_encrypted: Mapped[str] = mapped_column(Text)
    secret_encrypted: Mapped[str] = mapped_column(Text)
    access_key_encrypted: Mapped[str | None] = mapped_column(Text, default=None)
    status: Mapped[ConnectionStatus] = mapped_column(
        str_enum(ConnectionStatus, "whmcs_connection_status"), default=ConnectionStatus.PENDING
    )
    last_verified_at: Mapped[datetime | None] = mapped_column(default=None)
    last_synced_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)


class Invoice(TenantOwned, Base):
    """A WHMCS invoice as last seen; `balance_minor` is what is still owed."""

    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("tenant_id", "whmcs_invoice_id"),
        Index(None, "tenant_id", "status", "currency"),
        Index(None, "tenant_id", "whmcs_client_id"),
        Index(None, "tenant_id", "invoice_num"),
    )

    whmcs_invoice_id: Mapped[int] = mapped_column(BigInteger)
    invoice_num: Mapped[str] = mapped_column(String(64), default="")
    whmcs_client_id: Mapped[int] = mapped_column(BigInteger)
    client_name: Mapped[str] = mapped_column(String(200), default="")
    company_name: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[InvoiceStatus] = mapped_column(str_enum(InvoiceStatus, "invoice_status"))
    currency: Mapped[str] = mapped_column(String(3))
    total_minor: Mapped[int] = mapped_column(BigInteger)
    balance_minor: Mapped[int] = mapped_column(BigInteger)
    issued_on: Mapped[date | None] = mapped_column(default=None)
    due_on: Mapped[date | None] = mapped_column(default=None)
    paid_at: Mapped[datetime | None] = mapped_column(default=None)
    payment_method: Mapped[str] = mapped_column(String(64), default="")
    raw: Mapped[dict[str, Any]] = mapped_column(default=dict)
    synced_at: Mapped[datetime | None] = mapped_column(default=None)
    # What `q` finds it by (WHMCS id, number, client, company), folded; kept on every write.
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")


@event.listens_for(Invoice, "before_insert")
@event.listens_for(Invoice, "before_update")
def _keep_search_text(_mapper: Any, _connection: Any, invoice: Invoice) -> None:
    invoice.search_text = search_text(
        str(invoice.whmcs_invoice_id),
        invoice.invoice_num,
        invoice.client_name,
        invoice.company_name,
    )
