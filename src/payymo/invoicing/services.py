"""Reading the invoice snapshot (syncing it from WHMCS arrives with the integrations)."""

from __future__ import annotations

import uuid

from payymo.errors import NotFound
from payymo.http import AppServices
from payymo.invoicing import repository
from payymo.invoicing.models import Invoice
from payymo.invoicing.schemas import InvoiceQuery


def list_invoices(
    app: AppServices, *, tenant_id: uuid.UUID, query: InvoiceQuery
) -> tuple[list[Invoice], str | None]:
    with app.db.unit_of_work(tenant_id) as session:
        return repository.invoice_page(session, tenant_id, query)


def get_invoice(app: AppServices, *, tenant_id: uuid.UUID, invoice_id: uuid.UUID) -> Invoice:
    with app.db.unit_of_work(tenant_id) as session:
        found = repository.invoice(session, tenant_id, invoice_id)
        if found is None:
            raise NotFound(detail="no such invoice")
        return found
