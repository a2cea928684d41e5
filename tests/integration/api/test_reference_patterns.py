"""A tenant's reference patterns through the API: refused when RE2 cannot run them, and a run
over a long remittance finishes whatever pattern was saved."""

from __future__ import annotations

import uuid
from typing import Any

from payymo.banking.models import BankTransaction
from payymo.tenants.models import Tenant
from tests.integration.api.conftest import Api, Member
from tests.integration.api.helpers import ok, problem
from tests.integration.api.test_reconciliation_run import RUN, books

SETTINGS = "/api/v1/settings"


def save_patterns(api: Api, member: Member, *patterns: str) -> Any:
    headers = member.headers()
    settings = ok(api.client().get(SETTINGS, headers=headers))
    settings["matching"]["reference_patterns"] = list(patterns)
    return api.client().put(SETTINGS, headers=headers, json=settings)


def remit(api: Api, member: Member, transaction_id: uuid.UUID, text: str) -> None:
    with api.services.db.unit_of_work(member.tenant_id) as session:
        row = session.get(BankTransaction, transaction_id)
        assert row is not None
        row.remittance = text


def test_a_backreference_is_refused_with_422_naming_the_pattern_and_re2s_reason(
    sqlite_api: Api,
) -> None:
    owner, _ = books(sqlite_api)
    response = save_patterns(sqlite_api, owner, r"ACME-(\d+)", r"(a)\1")
    body = problem(response, 422, "validation-failed")
    [error] = body["errors"]
    assert error["field"] == "matching.reference_patterns.1"
    assert error["code"] == "reference_pattern"
    assert r"invalid escape sequence: \1" in error["message"]
    settings = ok(sqlite_api.client().get(SETTINGS, headers=owner.headers()))
    assert settings["matching"]["reference_patterns"] == []


def test_the_catastrophic_pattern_is_saved_and_a_run_over_a_long_remittance_finishes(
    sqlite_api: Api,
) -> None:
    # Python's re needs 20 s for "(a+)+$" on 28 characters, doubling with each one more.
    owner, ids = books(sqlite_api)
    ok(save_patterns(sqlite_api, owner, "(a+)+$"))
    remit(sqlite_api, owner, ids["amount"], "a" * 5000 + "!")
    result = ok(sqlite_api.client().post(RUN, headers=owner.headers()))
    assert result["decided"] == 4


def test_a_saved_pattern_decides_which_invoice_a_payment_pays(sqlite_api: Api) -> None:
    owner, ids = books(sqlite_api)
    headers = owner.headers()
    ok(save_patterns(sqlite_api, owner, r"\b2026(\d{4})\b"))
    remit(sqlite_api, owner, ids["amount"], "hosting 20261025")
    ok(sqlite_api.client().post(RUN, headers=headers))
    paid = ok(sqlite_api.client().get(f"/api/v1/transactions/{ids['amount']}", headers=headers))
    assert paid["decision"]["status"] == "auto"
    assert paid["decision"]["reasons"][0] == {
        "code": "reference_exact",
        "text": "referenced invoice(s) 1025, exact amount",
    }


def test_a_pattern_saved_before_re2_still_reads_and_runs_and_saving_names_it(
    sqlite_api: Api,
) -> None:
    owner, _ = books(sqlite_api)
    headers = owner.headers()
    with sqlite_api.services.db.unit_of_work(owner.tenant_id) as session:
        tenant = session.get(Tenant, owner.tenant_id)
        assert tenant is not None
        tenant.settings = {"matching": {"reference_patterns": [r"(?<!\d)(\d{4})"]}}

    settings = ok(sqlite_api.client().get(SETTINGS, headers=headers))
    assert settings["matching"]["reference_patterns"] == [r"(?<!\d)(\d{4})"]
    assert ok(sqlite_api.client().post(RUN, headers=headers))["decided"] == 4
    again = sqlite_api.client().put(SETTINGS, headers=headers, json=settings)
    [error] = problem(again, 422, "validation-failed")["errors"]
    assert error["field"] == "matching.reference_patterns.0"
    assert "invalid perl operator: (?<!" in error["message"]
    # A PATCH of another setting keeps the stored patterns, so it names the same one; a PATCH
    # that replaces them is how the tenant repairs its settings.
    other = sqlite_api.client().patch(
        SETTINGS, headers=headers, json={"require_mfa_for_admins": False}
    )
    [error] = problem(other, 422, "validation-failed")["errors"]
    assert error["field"] == "matching.reference_patterns.0"
    fixed = sqlite_api.client().patch(
        SETTINGS, headers=headers, json={"matching": {"reference_patterns": [r"\b(\d{4})\b"]}}
    )
    assert ok(fixed)["matching"]["reference_patterns"] == [r"\b(\d{4})\b"]
