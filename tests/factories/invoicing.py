"""WHMCS invoices for tests, as a sync would store them."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from payymo.invoicing.models import Invoice, InvoiceStatus


def invoice(session: Session, *, tenant_id: uuid.UUID, whmcs_id: int, **fields: Any) -> Invoice:
    """An unpaid EUR invoice of 10.00 with WHMCS id `whmcs_id` (its client shares the id)."""
    values: dict[str, Any] = {
        "whmcs_client_id": whmcs_id,
        "client_name": "Ann Client",
        "status": InvoiceStatus.UNPAID,
        "currency": "EUR",
        "total_minor": 1000,
        "balance_minor": 1000,
    }
    made = Invoice(tenant_id=tenant_id, whmcs_invoice_id=whmcs_id, **{**values, **fields})
    session.add(made)
    session.flush()
    return made
