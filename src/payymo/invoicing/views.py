"""Invoices: the local snapshot of the tenant's WHMCS invoices."""

from __future__ import annotations

import uuid

from flask import Blueprint

from payymo.api.context import Ctx
from payymo.api.registry import endpoint
from payymo.auth.principal import Permission
from payymo.invoicing import services
from payymo.invoicing.schemas import InvoiceOut, InvoicePage, InvoiceQuery

invoices_bp = Blueprint("invoices", __name__, url_prefix="/api/v1/invoices")


@endpoint(
    invoices_bp,
    "GET",
    "",
    summary="List invoices (keyset pages)",
    permission=Permission.READ,
    query=InvoiceQuery,
    response=InvoicePage,
)
def list_invoices(ctx: Ctx, query: InvoiceQuery) -> InvoicePage:
    rows, cursor = services.list_invoices(ctx.services, tenant_id=ctx.caller.tenant_id, query=query)
    return InvoicePage(data=[InvoiceOut.of(i) for i in rows], next_cursor=cursor)


@endpoint(
    invoices_bp,
    "GET",
    "/<uuid:invoice_id>",
    summary="One invoice",
    permission=Permission.READ,
    response=InvoiceOut,
    resource="invoice",
)
def get_invoice(ctx: Ctx, invoice_id: uuid.UUID) -> InvoiceOut:
    invoice = services.get_invoice(
        ctx.services, tenant_id=ctx.caller.tenant_id, invoice_id=invoice_id
    )
    return InvoiceOut.of(invoice)
