"""The review queue: approving queues postings exactly once; rejecting; edited allocations."""

from __future__ import annotations

import threading
import uuid

from sqlalchemy import func, select

from payymo.reconciliation.models import Posting
from tests.integration.api.conftest import Api
from tests.integration.api.helpers import ok, problem
from tests.integration.api.test_reconciliation_run import RUN, books


def review_item(api: Api, headers: dict[str, str], transaction_id: uuid.UUID) -> dict:  # type: ignore[type-arg]
    items = ok(api.client().get("/api/v1/review", headers=headers))["data"]
    return next(i for i in items if i["transaction_id"] == str(transaction_id))


def postings(api: Api, tenant_id: uuid.UUID) -> int:
    with api.services.db.unit_of_work(tenant_id) as session:
        return session.scalar(select(func.count()).where(Posting.tenant_id == tenant_id)) or 0


def test_approving_queues_one_posting_per_allocation_exactly_once(api: Api) -> None:
    owner, ids = books(api)
    headers = owner.headers()
    ok(api.client().post(RUN, headers=headers))
    item = review_item(api, headers, ids["amount"])
    assert item["decision"]["reasons"]  # the queue says why a person is needed
    invoices = ok(api.client().get("/api/v1/invoices?status=Unpaid", headers=headers))["data"]
    body = {"allocations": [{"invoice_id": invoices[0]["id"], "amount": "29.00"}]}
    url = f"/api/v1/decisions/{item['decision']['id']}/approve"
    approved = ok(api.client().post(url, headers=headers, json=body))
    assert len(approved["postings"]) == 1
    assert approved["postings"][0]["transid"].startswith("payymo-")
    assert approved["postings"][0]["amount"] == {"amount": "29.00", "currency": "EUR"}
    problem(api.client().post(url, headers=headers, json={}), 409, "conflict")
    assert postings(api, owner.tenant_id) == 1


def test_edited_allocations_must_fit_the_payment_and_the_invoices(api: Api) -> None:
    owner, ids = books(api)
    headers = owner.headers()
    ok(api.client().post(RUN, headers=headers))
    decision_id = review_item(api, headers, ids["amount"])["decision"]["id"]
    invoices = ok(api.client().get("/api/v1/invoices?status=Unpaid", headers=headers))["data"]
    too_much = {"allocations": [{"invoice_id": i["id"], "amount": "29.00"} for i in invoices]}
    response = api.client().post(
        f"/api/v1/decisions/{decision_id}/approve", headers=headers, json=too_much
    )
    body = problem(response, 422, "validation-failed")
    assert any("exceed" in e["message"] for e in body["errors"])
    assert postings(api, owner.tenant_id) == 0


def test_a_rejected_suggestion_cannot_be_approved(api: Api) -> None:
    owner, ids = books(api)
    headers = owner.headers()
    ok(api.client().post(RUN, headers=headers))
    decision_id = review_item(api, headers, ids["paid"])["decision"]["id"]
    assert (
        api.client().post(f"/api/v1/decisions/{decision_id}/reject", headers=headers).status_code
        == 204
    )
    problem(
        api.client().post(f"/api/v1/decisions/{decision_id}/approve", headers=headers, json={}),
        409,
        "conflict",
    )


def test_a_hundred_concurrent_approvals_produce_one_posting(api: Api) -> None:
    owner, ids = books(api)
    headers = owner.headers()
    ok(api.client().post(RUN, headers=headers))
    decision_id = review_item(api, headers, ids["amount"])["decision"]["id"]
    invoices = ok(api.client().get("/api/v1/invoices?status=Unpaid", headers=headers))["data"]
    body = {"allocations": [{"invoice_id": invoices[0]["id"], "amount": "29.00"}]}
    statuses: list[int] = []
    lock = threading.Lock()

    def approve() -> None:
        status = (
            api.client()
            .post(f"/api/v1/decisions/{decision_id}/approve", headers=headers, json=body)
            .status_code
        )
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=approve) for _ in range(100)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses.count(200) == 1
    assert set(statuses) <= {200, 409}
    assert postings(api, owner.tenant_id) == 1
