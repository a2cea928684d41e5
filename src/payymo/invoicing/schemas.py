"""Invoice API models (the local snapshot of WHMCS invoices)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import Field

from payymo.api.pagination import PageQuery
from payymo.api.schemas import ApiModel, MoneyOut, Page
from payymo.invoicing.models import Invoice, InvoiceStatus


class InvoiceOut(ApiModel):
    id: uuid.UUID
    whmcs_invoice_id: int
    invoice_num: str
    whmcs_client_id: int
    client_name: str
    company_name: str
    status: InvoiceStatus
    total: MoneyOut
    balance: MoneyOut
    issued_on: date | None
    due_on: date | None
    paid_at: datetime | None
    synced_at: datetime | None

    @classmethod
    def of(cls, invoice: Invoice) -> InvoiceOut:
        return cls(
            id=invoice.id,
            whmcs_invoice_id=invoice.whmcs_invoice_id,
            invoice_num=invoice.invoice_num,
            whmcs_client_id=invoice.whmcs_client_id,
            client_name=invoice.client_name,
            company_name=invoice.company_name,
            status=invoice.status,
            total=MoneyOut.of(invoice.total_minor, invoice.currency),
            balance=MoneyOut.of(invoice.balance_minor, invoice.currency),
            issued_on=invoice.issued_on,
            due_on=invoice.due_on,
            paid_at=invoice.paid_at,
            synced_at=invoice.synced_at,
        )


class InvoicePage(Page[InvoiceOut]):
    pass


class InvoiceQuery(PageQuery):
    status: InvoiceStatus | None = None
    client_id: int | None = Field(default=None, ge=0, le=2**53, description="WHMCS client id")
    q: str | None = Field(
        default=None,
        max_length=200,
        description="Part of the WHMCS invoice id (#1044 too) or number, the client or the "
        "company; case and accents are ignored",
    )
