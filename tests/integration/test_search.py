"""`q` on the list endpoints: invoices by WHMCS id, number, client or company; transactions by
payer or reference; case and accents ignored, the same on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

import pytest

from payymo.api.pagination import PageQuery
from payymo.banking import repository as banking
from payymo.banking.schemas import TransactionFilters
from payymo.db import Database
from payymo.invoicing import repository as invoicing
from payymo.invoicing.models import Invoice
from payymo.invoicing.schemas import InvoiceQuery
from tests.factories.banking import bank_account, bank_transaction
from tests.factories.invoicing import invoice as whmcs_invoice
from tests.factories.tenants import tenant


def invoices(db: Database) -> uuid.UUID:
    owner = tenant(db)
    with db.unit_of_work(owner.id) as session:
        for whmcs_id, number, client, company in (
            (1044, "", "Ana García", ""),
            (1045, "2026-0107", "Jörg Müller", "Müller & Söhne GmbH"),
            (2001, "", "Bob Smith", "50% Off_Hosting"),
        ):
            whmcs_invoice(
                session,
                tenant_id=owner.id,
                whmcs_id=whmcs_id,
                invoice_num=number,
                client_name=client,
                company_name=company,
            )
    return owner.id


def found_invoices(db: Database, tenant_id: uuid.UUID, q: str) -> list[int]:
    with db.unit_of_work(tenant_id) as session:
        rows, _ = invoicing.invoice_page(session, tenant_id, InvoiceQuery(q=q))
        return sorted(i.whmcs_invoice_id for i in rows)


@pytest.mark.parametrize(
    ("q", "found"),
    [
        ("1044", [1044]),
        ("#1044", [1044]),
        ("104", [1044, 1045]),
        ("2026-0107", [1045]),
        ("garcia", [1044]),
        ("GARCÍA", [1044]),
        ("ana garcía", [1044]),
        ("muller", [1045]),
        ("söhne", [1045]),
        ("SOHNE GMBH", [1045]),
        ("50%", [2001]),
        ("off_h", [2001]),
        ("%", [2001]),  # % and _ are themselves, not wildcards
        ("5_", []),
        ("garcia 1044", []),  # one field at a time, never across two
    ],
)
def test_invoices_are_found_by_id_number_client_or_company_whatever_the_case_and_accents(
    db: Database, q: str, found: list[int]
) -> None:
    assert found_invoices(db, invoices(db), q) == found


def test_an_invoice_renamed_by_a_sync_is_found_by_its_new_name(db: Database) -> None:
    tenant_id = invoices(db)
    with db.unit_of_work(tenant_id) as session:
        invoice = session.query(Invoice).filter_by(tenant_id=tenant_id, whmcs_invoice_id=1044).one()
        invoice.client_name = "Ana Peña"
    assert found_invoices(db, tenant_id, "pena") == [1044]
    assert found_invoices(db, tenant_id, "garcia") == []


@pytest.mark.parametrize(
    ("q", "found"),
    [
        ("jose", ["Factura 1044"]),
        ("JOSÉ MÜLLER", ["Factura 1044"]),
        ("factura", ["Factura 1044"]),
        ("FACTURE N", ["Facture n° 2001"]),
        ("n°", ["Facture n° 2001"]),
        ("100%", ["100% paid"]),
        ("1_0", []),
    ],
)
def test_transactions_are_found_by_payer_or_reference_whatever_the_case_and_accents(
    db: Database, q: str, found: list[str]
) -> None:
    owner = tenant(db)
    with db.unit_of_work(owner.id) as session:
        account = bank_account(session, tenant_id=owner.id)
        for payer, text in (
            ("José Müller", "Factura 1044"),
            ("Chloé Dupont", "Facture n° 2001"),
            ("Bob Smith", "100% paid"),
        ):
            bank_transaction(session, account=account, counterparty_name=payer, remittance=text)
    with db.unit_of_work(owner.id) as session:
        rows, _ = banking.transaction_page(session, owner.id, TransactionFilters(q=q), PageQuery())
    assert sorted(r.remittance for r in rows) == found
