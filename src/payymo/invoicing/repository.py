"""Queries over the invoice snapshot, always within one tenant."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from payymo.api.pagination import keyset_page, parse_int, parse_uuid
from payymo.invoicing.models import Invoice
from payymo.invoicing.schemas import InvoiceQuery
from payymo.text import ESCAPE, contains_pattern


def invoice(session: Session, tenant_id: uuid.UUID, invoice_id: uuid.UUID) -> Invoice | None:
    return session.scalars(
        select(Invoice).where(Invoice.tenant_id == tenant_id, Invoice.id == invoice_id)
    ).one_or_none()


def invoice_page(
    session: Session, tenant_id: uuid.UUID, query: InvoiceQuery
) -> tuple[list[Invoice], str | None]:
    q = select(Invoice).where(Invoice.tenant_id == tenant_id)
    if query.status is not None:
        q = q.where(Invoice.status == query.status)
    if query.client_id is not None:
        q = q.where(Invoice.whmcs_client_id == query.client_id)
    if query.q:
        # "#1044" is how WHMCS shows invoice 1044.
        pattern = contains_pattern(query.q.strip().removeprefix("#"))
        q = q.where(Invoice.search_text.like(pattern, escape=ESCAPE))
    return keyset_page(
        session,
        q,
        order=(Invoice.whmcs_invoice_id, Invoice.id),
        parsers=(parse_int, parse_uuid),
        key=lambda inv: (inv.whmcs_invoice_id, inv.id),
        page=query,
    )
