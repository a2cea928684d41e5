"""The invoice list through the API: `q` finds an invoice by its WHMCS id, as documented."""

from __future__ import annotations

from tests.factories.invoicing import invoice
from tests.integration.api.conftest import Api, new_member
from tests.integration.api.helpers import ok

LIST = "/api/v1/invoices"


def test_q_finds_an_invoice_by_its_whmcs_id_or_its_client_without_accents(api: Api) -> None:
    owner = new_member(api)
    with api.services.db.unit_of_work(owner.tenant_id) as session:
        for whmcs_id, client in ((1044, "Ana García"), (2050, "Bob Smith")):
            invoice(session, tenant_id=owner.tenant_id, whmcs_id=whmcs_id, client_name=client)
    headers = owner.headers()

    def found(q: str) -> list[int]:
        page = ok(api.client().get(LIST, query_string={"q": q}, headers=headers))
        return [item["whmcs_invoice_id"] for item in page["data"]]

    assert found("1044") == [1044]
    assert found("garcia") == [1044]
    assert found("SMITH") == [2050]
