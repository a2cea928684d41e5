"""Correcting settled payments: unmatch (with what to undo in WHMCS), reassign and split."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from payymo.audit.models import AuditEntry
from payymo.reconciliation.models import Posting, PostingStatus
from tests.integration.api.conftest import Api, Member
from tests.integration.api.helpers import ok, problem
from tests.integration.api.test_reconciliation_run import RUN, books
from tests.integration.api.test_review import review_item

DECISIONS = "/api/v1/decisions"


def _applied(api: Api) -> tuple[Member, dict[str, uuid.UUID], dict[str, Any]]:
    """A tenant's review item approved on invoice 1024: one pending posting."""
    owner, ids = books(api)
    headers = owner.headers()
    ok(api.client().post(RUN, headers=headers))
    decision_id = review_item(api, headers, ids["amount"])["decision"]["id"]
    body = {"allocations": [{"invoice_id": str(_invoice(api, owner, 1024)), "amount": "29.00"}]}
    approved = ok(
        api.client().post(f"{DECISIONS}/{decision_id}/approve", headers=headers, json=body)
    )
    return owner, ids, {"decision_id": decision_id, "posting": approved["postings"][0]}


def _invoice(api: Api, owner: Member, number: int) -> uuid.UUID:
    listed = ok(api.client().get("/api/v1/invoices?limit=100", headers=owner.headers()))["data"]
    return uuid.UUID(next(i["id"] for i in listed if i["whmcs_invoice_id"] == number))


def _set_posting(api: Api, owner: Member, posting_id: str, **values: Any) -> None:
    with api.services.db.unit_of_work(owner.tenant_id) as session:
        posting = session.get(Posting, uuid.UUID(posting_id))
        assert posting is not None
        for name, value in values.items():
            setattr(posting, name, value)


def _posting_status(api: Api, owner: Member, posting_id: str) -> PostingStatus:
    with api.services.db.unit_of_work(owner.tenant_id) as session:
        posting = session.get(Posting, uuid.UUID(posting_id))
        assert posting is not None
        return posting.status


def _audit_actions(api: Api, owner: Member) -> list[str]:
    with api.services.db.unit_of_work(owner.tenant_id) as session:
        return list(
            session.scalars(
                select(AuditEntry.action).where(AuditEntry.tenant_id == owner.tenant_id)
            )
        )


def test_unmatching_before_posting_cancels_the_posting_and_needs_no_undo(api: Api) -> None:
    owner, ids, applied = _applied(api)
    url = f"{DECISIONS}/{applied['decision_id']}/unmatch"
    done = ok(api.client().post(url, headers=owner.headers()))
    assert done["decision"]["state"] == "reversed"
    [reversal] = done["reversals"]
    assert (reversal["whmcs"], reversal["undo"]) == ("not_posted", None)
    assert reversal["amount"] == {"amount": "29.00", "currency": "EUR"}
    assert _posting_status(api, owner, applied["posting"]["id"]) is PostingStatus.CANCELLED
    assert "decision.unmatched" in _audit_actions(api, owner)
    problem(api.client().post(url, headers=owner.headers()), 409, "conflict")  # only once
    ok(api.client().post(RUN, headers=owner.headers()))  # the engine leaves it alone
    detail = ok(api.client().get(f"/api/v1/transactions/{ids['amount']}", headers=owner.headers()))
    assert detail["decision"]["id"] == applied["decision_id"]
    assert detail["decision"]["state"] == "reversed"


def test_unmatching_a_posted_payment_says_what_to_delete_in_whmcs(api: Api) -> None:
    owner, _, applied = _applied(api)
    posting = applied["posting"]
    _set_posting(api, owner, posting["id"], status=PostingStatus.DONE, attempts=1)
    done = ok(
        api.client().post(f"{DECISIONS}/{applied['decision_id']}/unmatch", headers=owner.headers())
    )
    [reversal] = done["reversals"]
    assert reversal["whmcs"] == "posted"
    assert "invoice #1024" in reversal["undo"]
    assert posting["transid"] in reversal["undo"]
    assert _posting_status(api, owner, posting["id"]) is PostingStatus.DONE  # history stays


def test_an_unconfirmed_attempt_is_reported_as_uncertain(api: Api) -> None:
    owner, _, applied = _applied(api)
    _set_posting(api, owner, applied["posting"]["id"], status=PostingStatus.FAILED, attempts=2)
    done = ok(
        api.client().post(f"{DECISIONS}/{applied['decision_id']}/unmatch", headers=owner.headers())
    )
    [reversal] = done["reversals"]
    assert reversal["whmcs"] == "uncertain"
    assert "never confirmed" in reversal["undo"]
    assert _posting_status(api, owner, applied["posting"]["id"]) is PostingStatus.CANCELLED


def test_a_payment_being_sent_right_now_cannot_be_unmatched(api: Api) -> None:
    owner, _, applied = _applied(api)
    lease = api.services.clock.now() + timedelta(minutes=5)
    _set_posting(
        api,
        owner,
        applied["posting"]["id"],
        status=PostingStatus.IN_PROGRESS,
        attempts=1,
        next_attempt_at=lease,
    )
    url = f"{DECISIONS}/{applied['decision_id']}/unmatch"
    problem(api.client().post(url, headers=owner.headers()), 409, "conflict")
    assert _posting_status(api, owner, applied["posting"]["id"]) is PostingStatus.IN_PROGRESS


def test_reassigning_an_applied_payment_reverses_it_and_queues_new_postings(api: Api) -> None:
    owner, ids, applied = _applied(api)
    other = _invoice(api, owner, 1025)
    body = {"allocations": [{"invoice_id": str(other), "amount": "29.00"}]}
    done = ok(
        api.client().post(
            f"{DECISIONS}/{applied['decision_id']}/reassign", headers=owner.headers(), json=body
        )
    )
    assert done["decision"]["id"] != applied["decision_id"]
    assert done["decision"]["state"] == "applied"
    assert done["decision"]["reasons"][0]["code"] == "assigned_by_person"
    assert [a["invoice_id"] for a in done["decision"]["allocations"]] == [str(other)]
    [posting] = done["postings"]
    assert posting["whmcs_invoice_id"] == 1025
    assert posting["transid"] != applied["posting"]["transid"]
    assert [r["whmcs"] for r in done["reversals"]] == ["not_posted"]
    detail = ok(api.client().get(f"/api/v1/transactions/{ids['amount']}", headers=owner.headers()))
    assert detail["decision"]["id"] == done["decision"]["id"]
    assert "decision.reassigned" in _audit_actions(api, owner)
    # The old decision is history now: acting on it again is a conflict.
    again = api.client().post(
        f"{DECISIONS}/{applied['decision_id']}/reassign", headers=owner.headers(), json=body
    )
    problem(again, 409, "conflict")


def test_a_bad_reassignment_changes_nothing(api: Api) -> None:
    owner, _, applied = _applied(api)
    body = {
        "allocations": [
            {"invoice_id": str(_invoice(api, owner, 1025)), "amount": "29.00"},
            {"invoice_id": str(_invoice(api, owner, 1024)), "amount": "29.00"},
        ]
    }
    url = f"{DECISIONS}/{applied['decision_id']}/reassign"
    body_out = problem(
        api.client().post(url, headers=owner.headers(), json=body), 422, "validation-failed"
    )
    assert any("exceed" in e["message"] for e in body_out["errors"])
    assert _posting_status(api, owner, applied["posting"]["id"]) is PostingStatus.PENDING
    assert "decision.reassigned" not in _audit_actions(api, owner)


def test_splitting_spreads_a_payment_over_several_invoices(api: Api) -> None:
    owner, ids = books(api)
    headers = owner.headers()
    ok(api.client().post(RUN, headers=headers))
    decision_id = review_item(api, headers, ids["amount"])["decision"]["id"]
    first, second = _invoice(api, owner, 1024), _invoice(api, owner, 1025)
    url = f"{DECISIONS}/{decision_id}/split"
    one = {"allocations": [{"invoice_id": str(first), "amount": "29.00"}]}
    problem(api.client().post(url, headers=headers, json=one), 422, "validation-failed")
    two = {
        "allocations": [
            {"invoice_id": str(first), "amount": "14.50"},
            {"invoice_id": str(second), "amount": "14.50"},
        ]
    }
    done = ok(api.client().post(url, headers=headers, json=two))
    assert done["decision"]["id"] == decision_id  # a proposed decision is settled in place
    assert sorted(p["whmcs_invoice_id"] for p in done["postings"]) == [1024, 1025]
    assert {p["amount"]["amount"] for p in done["postings"]} == {"14.50"}
    assert done["reversals"] == []
    assert "decision.split" in _audit_actions(api, owner)


def test_a_proposed_decision_cannot_be_unmatched(api: Api) -> None:
    owner, ids = books(api)
    headers = owner.headers()
    ok(api.client().post(RUN, headers=headers))
    decision_id = review_item(api, headers, ids["amount"])["decision"]["id"]
    problem(
        api.client().post(f"{DECISIONS}/{decision_id}/unmatch", headers=headers), 409, "conflict"
    )
