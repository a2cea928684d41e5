"""The GoCardless Bank Account Data simulator, driven over real HTTP on loopback."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from payymo.sandbox.common import SimClock, SimServer
from payymo.sandbox.gocardless import create_app

SANDBOX = "SANDBOXFINANCE_SFIN0000"
REDIRECT = "https://payymo.test/banking/callback"
DAY = 86_400
START = "2026-11-26T09:00:00+00:00"
INVALID_TOKEN = {
    "summary": "Invalid token",
    "detail": "Token is invalid or expired",
    "status_code": 401,
}


@pytest.fixture(scope="module")
def server() -> Iterator[SimServer]:
    with SimServer(create_app(seed=7, clock=SimClock(datetime.fromisoformat(START)))) as running:
        yield running


@pytest.fixture
def anon(server: SimServer) -> Iterator[httpx.Client]:
    """A client without a token, on a simulator back in its seeded state at the start time."""
    with httpx.Client(base_url=server.url, timeout=5) as client:
        client.post("/_sim/reset").raise_for_status()
        client.post("/_sim/clock", json={"set": START}).raise_for_status()
        yield client


@pytest.fixture
def api(server: SimServer, anon: httpx.Client) -> Iterator[httpx.Client]:
    """A signed-in client; asking for `anon` first resets the simulator and its clock."""
    with httpx.Client(base_url=server.url, timeout=5) as client:
        sign_in(client)
        yield client


def mint(client: httpx.Client) -> dict[str, Any]:
    body = {"secret_id": "sim-secret-id", "secret_key": "sim-secret-key"}
    response = client.post("/api/v2/token/new/", json=body)
    result: dict[str, Any] = response.json()
    return result


def sign_in(client: httpx.Client) -> None:
    client.headers["Authorization"] = f"Bearer {mint(client)['access']}"


def claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return decoded


def advance(client: httpx.Client, seconds: float) -> None:
    client.post("/_sim/clock", json={"advance_seconds": seconds}).raise_for_status()


def sim_state(client: httpx.Client) -> dict[str, Any]:
    state: dict[str, Any] = client.get("/_sim/state").json()
    return state


def create_requisition(api: httpx.Client, reference: str = "payymo-1", **extra: Any) -> Any:
    body = {"redirect": REDIRECT, "institution_id": SANDBOX, "reference": reference, **extra}
    response = api.post("/api/v2/requisitions/", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def link_sandbox(api: httpx.Client, reference: str = "payymo-1", **extra: Any) -> Any:
    requisition = create_requisition(api, reference, **extra)
    api.get(requisition["link"], params={"action": "approve"})
    return api.get(f"/api/v2/requisitions/{requisition['id']}/").json()


def account_by_currency(api: httpx.Client, requisition: dict[str, Any], currency: str) -> str:
    for account_id in requisition["accounts"]:
        details = api.get(f"/api/v2/accounts/{account_id}/details/").json()
        if details["account"]["currency"] == currency:
            return str(account_id)
    raise AssertionError(f"no {currency} account")


def eur_account(api: httpx.Client, requisition: dict[str, Any]) -> str:
    """The EUR account id, found through `/_sim/state` so no quota is spent."""
    state = sim_state(api)
    return next(
        str(a["id"])
        for a in state["accounts"]
        if a["currency"] == "EUR" and a["id"] in requisition["accounts"]
    )


def test_new_token_is_a_jwt_pair_expiring_by_the_sim_clock(anon: httpx.Client) -> None:
    tokens = mint(anon)
    now = anon.get("/_sim/clock").json()["now"]
    assert tokens["access_expires"] == 86400
    assert tokens["refresh_expires"] == 2592000
    assert now.startswith("2026-11-26T")
    issued = claims(tokens["access"])["iat"]
    assert claims(tokens["access"])["exp"] == issued + 86400
    assert claims(tokens["refresh"])["exp"] == issued + 2592000
    assert abs(issued - datetime.fromisoformat(now).timestamp()) < 5


def test_bad_secrets_are_refused_as_authentication_failed(anon: httpx.Client) -> None:
    response = anon.post(
        "/api/v2/token/new/", json={"secret_id": "sim-secret-id", "secret_key": "wrong"}
    )
    assert response.status_code == 401
    assert response.json() == {
        "summary": "Authentication failed",
        "detail": "No active account found with the given credentials",
        "status_code": 401,
    }


def test_missing_or_forged_bearer_tokens_are_invalid(anon: httpx.Client) -> None:
    forged = mint(anon)["access"][:-2] + "xx"
    for headers in (
        {},
        {"Authorization": "Bearer nonsense"},
        {"Authorization": f"Bearer {forged}"},
    ):
        response = anon.get("/api/v2/institutions/", headers=headers)
        assert response.status_code == 401
        assert response.json() == INVALID_TOKEN


def test_access_token_expires_after_a_sim_day_and_refresh_mints_a_new_one(
    anon: httpx.Client,
) -> None:
    tokens = mint(anon)
    bearer = {"Authorization": f"Bearer {tokens['access']}"}
    assert anon.get("/api/v2/institutions/", headers=bearer).status_code == 200
    advance(anon, DAY + 1)
    expired = anon.get("/api/v2/institutions/", headers=bearer)
    assert (expired.status_code, expired.json()) == (401, INVALID_TOKEN)

    refreshed = anon.post("/api/v2/token/refresh/", json={"refresh": tokens["refresh"]})
    assert set(refreshed.json()) == {"access", "access_expires"}
    fresh = {"Authorization": f"Bearer {refreshed.json()['access']}"}
    assert anon.get("/api/v2/institutions/", headers=fresh).status_code == 200

    advance(anon, 30 * DAY)
    stale = anon.post("/api/v2/token/refresh/", json={"refresh": tokens["refresh"]})
    assert (stale.status_code, stale.json()) == (401, INVALID_TOKEN)


def test_a_refresh_token_does_not_work_as_a_bearer_token(anon: httpx.Client) -> None:
    refresh = mint(anon)["refresh"]
    response = anon.get("/api/v2/institutions/", headers={"Authorization": f"Bearer {refresh}"})
    assert response.status_code == 401


def test_institutions_are_a_bare_array_with_string_day_counts_for_any_country_case(
    api: httpx.Client,
) -> None:
    lower = api.get("/api/v2/institutions/", params={"country": "gb"}).json()
    upper = api.get("/api/v2/institutions/", params={"country": "GB"}).json()
    assert isinstance(lower, list)
    assert lower == upper
    sandbox = next(i for i in lower if i["id"] == SANDBOX)
    assert set(sandbox) == {
        "id", "name", "bic", "transaction_total_days", "max_access_valid_for_days",
        "countries", "logo",
    }  # fmt: skip
    assert sandbox["transaction_total_days"] == "90"
    assert sandbox["max_access_valid_for_days"] == "180"
    assert all(isinstance(i["transaction_total_days"], str) for i in lower)
    assert all("GB" in i["countries"] for i in lower)
    for country in ("de", "nl", "fr"):
        ids = [
            i["id"] for i in api.get("/api/v2/institutions/", params={"country": country}).json()
        ]
        assert SANDBOX in ids


def test_an_unsupported_country_is_a_field_keyed_400(api: httpx.Client) -> None:
    response = api.get("/api/v2/institutions/", params={"country": "us"})
    assert response.status_code == 400
    assert response.json() == {
        "country": {"summary": "Invalid country choice.", "detail": "US is not a valid choice."},
        "status_code": 400,
    }


def test_institution_detail_adds_features_payments_and_codes(api: httpx.Client) -> None:
    detail = api.get(f"/api/v2/institutions/{SANDBOX}/").json()
    assert "pending_transactions" in detail["supported_features"]
    assert detail["identification_codes"] == []
    assert isinstance(detail["supported_payments"], dict)
    missing = api.get("/api/v2/institutions/NOPE_BANK/")
    assert (missing.status_code, missing.json()["summary"]) == (404, "Not found.")


def test_an_agreement_gets_defaults_and_stays_unaccepted_until_consent(api: httpx.Client) -> None:
    response = api.post("/api/v2/agreements/enduser/", json={"institution_id": SANDBOX})
    assert response.status_code == 201
    agreement = response.json()
    assert agreement["max_historical_days"] == 90
    assert agreement["access_valid_for_days"] == 90
    assert agreement["access_scope"] == ["balances", "details", "transactions"]
    assert agreement["accepted"] is None
    assert agreement["created"].endswith("Z")
    fetched = api.get(f"/api/v2/agreements/enduser/{agreement['id']}/").json()
    assert fetched == agreement


def test_agreement_terms_above_the_institution_limits_are_field_errors(api: httpx.Client) -> None:
    too_long = api.post(
        "/api/v2/agreements/enduser/",
        json={"institution_id": SANDBOX, "max_historical_days": 91, "access_valid_for_days": 0},
    )
    assert too_long.status_code == 400
    assert too_long.json() == {
        "max_historical_days": {
            "summary": "Incorrect max_historical_days",
            "detail": "max_historical_days must be > 0 and <= "
            "SANDBOXFINANCE_SFIN0000 transaction_total_days (90)",
        },
        "access_valid_for_days": {
            "summary": "Incorrect access_valid_for_days",
            "detail": "access_valid_for_days must be > 0 and <= 180",
        },
        "status_code": 400,
    }
    n26 = api.post(
        "/api/v2/agreements/enduser/",
        json={"institution_id": "N26_NTSBDEB1", "access_valid_for_days": 180},
    )
    assert n26.json()["access_valid_for_days"]["detail"].endswith("<= 90")
    missing = api.post("/api/v2/agreements/enduser/", json={"max_historical_days": 731})
    assert missing.json()["institution_id"] == ["This field is required."]
    assert "730" in missing.json()["max_historical_days"]["detail"]
    unknown = api.post("/api/v2/agreements/enduser/", json={"institution_id": "NOPE"})
    assert unknown.json()["institution_id"]["summary"] == "Unknown Institution ID NOPE"


def test_agreements_list_paginates_with_absolute_links(
    server: SimServer, api: httpx.Client
) -> None:
    for _ in range(3):
        api.post("/api/v2/agreements/enduser/", json={"institution_id": SANDBOX})
    first = api.get("/api/v2/agreements/enduser/", params={"limit": 2}).json()
    assert first["count"] == 3
    assert len(first["results"]) == 2
    assert first["previous"] is None
    assert first["next"] == f"{server.url}/api/v2/agreements/enduser/?limit=2&offset=2"
    second = api.get(first["next"]).json()
    assert len(second["results"]) == 1
    assert second["next"] is None
    assert second["previous"] == f"{server.url}/api/v2/agreements/enduser/?limit=2&offset=0"


def test_agreements_can_be_deleted_and_bad_ids_are_answered(api: httpx.Client) -> None:
    agreement = api.post("/api/v2/agreements/enduser/", json={"institution_id": SANDBOX}).json()
    deleted = api.delete(f"/api/v2/agreements/enduser/{agreement['id']}/")
    assert deleted.json() == {
        "summary": "End User Agreement deleted",
        "detail": f"End User Agreement {agreement['id']} deleted",
    }
    assert api.get(f"/api/v2/agreements/enduser/{agreement['id']}/").status_code == 404
    invalid = api.get("/api/v2/agreements/enduser/abcdefg/")
    assert invalid.status_code == 400
    assert invalid.json() == {
        "summary": "Invalid EndUserAgreement ID",
        "detail": "abcdefg is not a valid EndUserAgreement UUID. ",
        "status_code": 400,
    }


def test_a_requisition_links_accounts_through_the_consent_page(
    server: SimServer, api: httpx.Client, anon: httpx.Client
) -> None:
    requisition = create_requisition(api, "payymo-42")
    assert requisition["status"] == "CR"
    assert requisition["accounts"] == []
    assert requisition["link"] == f"{server.url}/psd2/start/{requisition['id']}/{SANDBOX}"

    page = anon.get(requisition["link"])
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    assert api.get(f"/api/v2/requisitions/{requisition['id']}/").json()["status"] == "GC"

    consent = anon.post(requisition["link"], data={"action": "approve"})
    assert consent.status_code == 302
    assert consent.headers["location"] == f"{REDIRECT}?ref=payymo-42"

    linked = api.get(f"/api/v2/requisitions/{requisition['id']}/").json()
    assert linked["status"] == "LN"
    assert len(linked["accounts"]) == 2
    agreement = api.get(f"/api/v2/agreements/enduser/{linked['agreement']}/").json()
    assert agreement["accepted"] is not None
    history = next(r for r in sim_state(anon)["requisitions"] if r["id"] == requisition["id"])
    assert history["history"] == ["CR", "GC", "UA", "SA", "GA", "LN"]


def test_a_reused_reference_is_a_field_error(api: httpx.Client) -> None:
    create_requisition(api, "same-ref")
    again = api.post(
        "/api/v2/requisitions/",
        json={"redirect": REDIRECT, "institution_id": SANDBOX, "reference": "same-ref"},
    )
    assert again.status_code == 400
    assert again.json()["reference"]["summary"] == "Client reference must be unique"
    assert again.json()["status_code"] == 400


def test_requisition_validation_names_each_bad_field(api: httpx.Client) -> None:
    response = api.post(
        "/api/v2/requisitions/",
        json={"redirect": "not a url", "institution_id": "", "user_language": "AB"},
    )
    body = response.json()
    assert response.status_code == 400
    assert body["redirect"] == ["Enter a valid URL."]
    assert body["institution_id"] == ["This field may not be blank."]
    assert body["user_language"]["detail"] == "'AB' is an invalid or unsupported language"


def test_rejecting_consent_redirects_with_an_error(api: httpx.Client, anon: httpx.Client) -> None:
    requisition = create_requisition(api, "will-cancel")
    response = anon.get(requisition["link"], params={"action": "reject"})
    assert response.status_code == 302
    query = parse_qs(urlsplit(response.headers["location"]).query)
    assert query["ref"] == ["will-cancel"]
    assert query["error"] == ["UserCancelledSession"]
    rejected = api.get(f"/api/v2/requisitions/{requisition['id']}/").json()
    assert (rejected["status"], rejected["accounts"]) == ("RJ", [])
    assert anon.get(requisition["link"], params={"action": "approve"}).status_code == 410


def test_access_expires_when_the_agreement_period_passes_on_the_sim_clock(
    api: httpx.Client,
) -> None:
    agreement = api.post(
        "/api/v2/agreements/enduser/",
        json={"institution_id": SANDBOX, "access_valid_for_days": 2},
    ).json()
    requisition = link_sandbox(api, agreement=agreement["id"])
    account_id = eur_account(api, requisition)
    assert api.get(f"/api/v2/accounts/{account_id}/balances/").status_code == 200

    advance(api, 2 * DAY + 1)
    sign_in(api)
    assert api.get(f"/api/v2/requisitions/{requisition['id']}/").json()["status"] == "EX"
    expired = api.get(f"/api/v2/accounts/{account_id}/transactions/")
    assert expired.status_code == 401
    assert expired.json() == {
        "summary": "Couldn't update account transactions",
        "detail": "Access has expired or it has been revoked. To restore access reconnect "
        "the account.",
        "status_code": 401,
        "type": "AccessExpiredError",
    }
    assert api.get(f"/api/v2/accounts/{account_id}/").json()["status"] == "EXPIRED"


def test_forcing_ex_through_the_control_route_revokes_access(api: httpx.Client) -> None:
    requisition = link_sandbox(api)
    account_id = eur_account(api, requisition)
    forced = api.post(f"/_sim/requisitions/{requisition['id']}/status", json={"status": "EX"})
    assert forced.json()["status"] == "EX"
    response = api.get(f"/api/v2/accounts/{account_id}/balances/")
    assert response.json()["type"] == "AccessExpiredError"
    assert response.json()["summary"] == "Couldn't update account balances"


def test_a_renewal_links_the_same_account_ids(api: httpx.Client) -> None:
    first = link_sandbox(api, "first")
    api.post(f"/_sim/requisitions/{first['id']}/status", json={"status": "EX"})
    renewal = link_sandbox(api, "renewal")
    assert renewal["id"] != first["id"]
    assert sorted(renewal["accounts"]) == sorted(first["accounts"])
    account_id = eur_account(api, renewal)
    assert api.get(f"/api/v2/accounts/{account_id}/transactions/").status_code == 200


def test_deleting_a_requisition_removes_its_agreement(api: httpx.Client) -> None:
    requisition = link_sandbox(api)
    deleted = api.delete(f"/api/v2/requisitions/{requisition['id']}/")
    assert deleted.json()["detail"] == (
        f"Requisition {requisition['id']} deleted with all its End User Agreements"
    )
    assert api.get(f"/api/v2/agreements/enduser/{requisition['agreement']}/").status_code == 404
    account_id = requisition["accounts"][0]
    assert api.get(f"/api/v2/accounts/{account_id}/details/").status_code == 401


def test_accounts_have_the_recorded_metadata_details_and_balance_shapes(api: httpx.Client) -> None:
    requisition = link_sandbox(api)
    gbp = account_by_currency(api, requisition, "GBP")
    meta = api.get(f"/api/v2/accounts/{gbp}/").json()
    assert set(meta) == {
        "id", "created", "last_accessed", "iban", "institution_id", "status", "owner_name"
    }  # fmt: skip
    assert (meta["institution_id"], meta["status"]) == (SANDBOX, "READY")
    assert meta["iban"].startswith("GB")
    details = api.get(f"/api/v2/accounts/{gbp}/details/").json()["account"]
    assert (details["currency"], details["iban"]) == ("GBP", meta["iban"])
    balances = api.get(f"/api/v2/accounts/{gbp}/balances/").json()["balances"]
    assert {b["balanceType"] for b in balances} == {"closingBooked", "interimAvailable"}
    for balance in balances:
        amount = balance["balanceAmount"]["amount"]
        assert isinstance(amount, str)
        assert Decimal(amount).as_tuple().exponent == -2
        assert balance["balanceAmount"]["currency"] == "GBP"


def test_transactions_follow_the_contract_shape(api: httpx.Client) -> None:
    requisition = link_sandbox(api)
    account_id = eur_account(api, requisition)
    body = api.get(f"/api/v2/accounts/{account_id}/transactions/").json()["transactions"]
    booked, pending = body["booked"], body["pending"]
    assert booked
    assert pending
    for entry in booked:
        assert {"transactionId", "internalTransactionId", "bookingDate", "valueDate"} <= set(entry)
        amount = entry["transactionAmount"]["amount"]
        assert isinstance(amount, str)
        assert Decimal(amount).as_tuple().exponent == -2
        assert entry["transactionAmount"]["currency"] == "EUR"
        party = "debtor" if Decimal(amount) > 0 else "creditor"
        assert f"{party}Name" in entry
        assert "iban" in entry[f"{party}Account"]
    assert any(Decimal(e["transactionAmount"]["amount"]) < 0 for e in booked)
    assert any("remittanceInformationUnstructuredArray" in e for e in booked)
    assert any("remittanceInformationUnstructured" in e for e in booked)
    for entry in pending:
        assert not {"transactionId", "internalTransactionId", "bookingDate"} & set(entry)
        assert "valueDate" in entry


def test_transactions_are_filtered_on_booking_date_but_pending_always_come_back(
    api: httpx.Client,
) -> None:
    requisition = link_sandbox(api)
    account_id = eur_account(api, requisition)
    url = f"/api/v2/accounts/{account_id}/transactions/"
    window = {"date_from": "2026-11-13", "date_to": "2026-11-20"}
    body = api.get(url, params=window).json()["transactions"]
    dates = {e["bookingDate"] for e in body["booked"]}
    assert dates
    assert all("2026-11-13" <= d <= "2026-11-20" for d in dates)
    assert body["pending"]
    everything = api.get(url).json()["transactions"]["booked"]
    assert len(everything) > len(body["booked"])


def test_an_inverted_or_future_date_range_is_a_field_keyed_400(api: httpx.Client) -> None:
    requisition = link_sandbox(api)
    account_id = eur_account(api, requisition)
    url = f"/api/v2/accounts/{account_id}/transactions/"
    inverted = api.get(url, params={"date_from": "2026-11-15", "date_to": "2026-11-05"})
    assert inverted.status_code == 400
    body = inverted.json()
    assert body["date_from"]["summary"] == "Incorrect date range"
    assert body["date_from"]["detail"].startswith(
        "Starting date '2026-11-15' is greater than end date '2026-11-05'."
    )
    assert body["date_to"]["summary"] == "Incorrect date range"
    future = api.get(url, params={"date_to": "2026-12-30"}).json()
    assert future["date_to"]["summary"] == "Date can't be in future"


def add_pending(api: httpx.Client, account_id: str, remittance: str) -> str:
    pending = {
        "amount": "42.50",
        "remittance": remittance,
        "debtor_name": "Ana Costa",
        "debtor_iban": "PT50000201231234567890154",
        "pending": True,
    }
    added = api.post(f"/_sim/accounts/{account_id}/transactions", json=[pending])
    assert added.status_code == 201
    assert added.json()["transactions"][0]["pending"] is True
    return str(added.json()["transactions"][0]["internal_id"])


def test_a_pending_transaction_books_with_the_same_data(api: httpx.Client) -> None:
    requisition = link_sandbox(api)
    account_id = eur_account(api, requisition)
    internal_id = add_pending(api, account_id, "Invoice 1099")
    url = f"/api/v2/accounts/{account_id}/transactions/"
    before = api.get(url).json()["transactions"]["pending"]
    assert sum(p.get("remittanceInformationUnstructured") == "Invoice 1099" for p in before) == 1

    booked = api.post(f"/_sim/transactions/{internal_id}/book").json()["transaction"]
    assert booked["internalTransactionId"] == internal_id
    after = api.get(url).json()["transactions"]
    assert all(
        p.get("remittanceInformationUnstructured") != "Invoice 1099" for p in after["pending"]
    )
    matches = [b for b in after["booked"] if b["internalTransactionId"] == internal_id]
    assert len(matches) == 1
    assert matches[0]["transactionAmount"] == {"amount": "42.50", "currency": "EUR"}
    assert matches[0]["debtorName"] == "Ana Costa"
    assert matches[0]["bookingDate"] == "2026-11-26"
    assert api.post(f"/_sim/transactions/{internal_id}/book").status_code == 409


def test_reissued_ids_keep_the_same_transactions(api: httpx.Client) -> None:
    requisition = link_sandbox(api)
    account_id = eur_account(api, requisition)
    url = f"/api/v2/accounts/{account_id}/transactions/"
    before = api.get(url).json()["transactions"]["booked"]
    assert api.post("/_sim/banks/reissue-ids").json()["reissued"] > 0
    after = api.get(url).json()["transactions"]["booked"]

    def content(entry: dict[str, Any]) -> tuple[Any, ...]:
        return (entry["bookingDate"], entry["transactionAmount"]["amount"], entry.get("debtorName"))

    assert sorted(map(content, before)) == sorted(map(content, after))
    assert not {e["transactionId"] for e in before} & {e["transactionId"] for e in after}
    assert not {e["internalTransactionId"] for e in before} & {
        e["internalTransactionId"] for e in after
    }


def test_the_account_quota_allows_four_successes_a_day_then_answers_429(api: httpx.Client) -> None:
    requisition = link_sandbox(api)
    account_id = eur_account(api, requisition)
    url = f"/api/v2/accounts/{account_id}/transactions/"
    failed = api.get(url, params={"date_from": "2026-11-20", "date_to": "2026-11-01"})
    assert failed.status_code == 400
    assert failed.headers["X-RateLimit-Account-Success-Remaining"] == "4"
    for remaining in (3, 2, 1, 0):
        response = api.get(url)
        assert response.status_code == 200
        assert response.headers["X-RateLimit-Account-Success-Limit"] == "4"
        assert response.headers["X-RateLimit-Account-Success-Remaining"] == str(remaining)
        assert response.headers["X-RateLimit-Limit"]
    limited = api.get(url)
    assert limited.status_code == 429
    reset = int(limited.headers["X-RateLimit-Account-Success-Reset"])
    assert reset == 15 * 3600  # 09:00 UTC on the sim clock, so 15 h to midnight
    assert limited.json() == {
        "summary": "Rate limit exceeded",
        "detail": f"The rate limit for this resource is 4/day. Please try again in {reset} seconds",
        "status_code": 429,
    }
    assert api.get(f"/api/v2/accounts/{account_id}/balances/").status_code == 200
    assert api.get(f"/api/v2/accounts/{account_id}/").status_code == 200
    quota = {(q["scope"], q["count"]) for q in sim_state(api)["quota"]}
    assert ("transactions", 4) in quota

    advance(api, reset)
    sign_in(api)
    assert api.get(url).headers["X-RateLimit-Account-Success-Remaining"] == "3"


def test_an_injected_500_happens_once_then_the_api_recovers(api: httpx.Client) -> None:
    api.post("/_sim/faults", json={"kind": "error", "path": "/api/v2/institutions/"})
    failed = api.get("/api/v2/institutions/")
    assert failed.status_code == 500
    assert set(failed.json()) >= {"summary", "detail", "status_code"}
    assert api.get("/api/v2/institutions/").status_code == 200


def test_an_injected_malformed_body_is_not_json(api: httpx.Client) -> None:
    api.post("/_sim/faults", json={"kind": "malformed", "path": "/api/v2/requisitions/"})
    response = api.get("/api/v2/requisitions/")
    with pytest.raises(json.JSONDecodeError):
        response.json()
    assert api.get("/api/v2/requisitions/").json()["count"] == 0


def test_an_injected_rate_limit_carries_the_account_headers(api: httpx.Client) -> None:
    requisition = link_sandbox(api)
    account_id = eur_account(api, requisition)
    api.post("/_sim/faults", json={"kind": "rate_limit", "path": "/api/v2/accounts/"})
    response = api.get(f"/api/v2/accounts/{account_id}/balances/")
    assert response.status_code == 429
    assert response.headers["X-RateLimit-Account-Success-Remaining"] == "4"
    assert response.headers["X-RateLimit-Remaining"] == "0"  # a short, company-level limit
    assert 0 < int(response.headers["X-RateLimit-Reset"]) <= 60


def test_only_a_429_for_the_used_up_account_quota_says_no_account_calls_are_left(
    api: httpx.Client,
) -> None:
    requisition = link_sandbox(api)
    account_id = eur_account(api, requisition)
    url = f"/api/v2/accounts/{account_id}/transactions/"
    assert api.get(url).status_code == 200

    api.post("/_sim/faults", json={"kind": "rate_limit", "path": url})
    injected = api.get(url)
    assert (injected.status_code, injected.headers["X-RateLimit-Account-Success-Remaining"]) == (
        429,
        "3",
    )
    while (company := api.get(f"/api/v2/accounts/{account_id}/")).status_code == 200:
        pass  # metadata calls share the per-minute /accounts/ limit but not the account quota
    company = api.get(url)
    assert company.json()["detail"].startswith("The rate limit for this resource is 100/minute")
    assert company.headers["X-RateLimit-Account-Success-Remaining"] == "3"

    advance(api, 60)
    for _ in range(3):
        assert api.get(url).status_code == 200
    quota = api.get(url)
    assert quota.json()["detail"].startswith("The rate limit for this resource is 4/day")
    assert quota.headers["X-RateLimit-Account-Success-Remaining"] == "0"


def test_a_raw_amount_is_sent_verbatim(api: httpx.Client) -> None:
    requisition = link_sandbox(api)
    account_id = eur_account(api, requisition)
    bad = {"raw_amount": "12.345", "remittance": "BAD-AMOUNT"}
    assert api.post(f"/_sim/accounts/{account_id}/transactions", json=[bad]).status_code == 201
    booked = api.get(f"/api/v2/accounts/{account_id}/transactions/").json()["transactions"]
    (entry,) = [
        b for b in booked["booked"] if b.get("remittanceInformationUnstructured") == "BAD-AMOUNT"
    ]
    assert entry["transactionAmount"] == {"amount": "12.345", "currency": "EUR"}


def test_a_pending_transaction_can_book_with_other_data_or_be_dropped(api: httpx.Client) -> None:
    requisition = link_sandbox(api)
    account_id = eur_account(api, requisition)
    changed = add_pending(api, account_id, "Invoice 2001")
    dropped = add_pending(api, account_id, "Invoice 2002")
    overrides = {"remittance": "INV2001 COSTA", "value_date": "2026-11-25", "debtor_name": "COSTA"}
    booked = api.post(f"/_sim/transactions/{changed}/book", json=overrides).json()["transaction"]
    assert booked["remittanceInformationUnstructured"] == "INV2001 COSTA"
    assert (booked["valueDate"], booked["bookingDate"]) == ("2026-11-25", "2026-11-26")
    assert (booked["debtorName"], booked["transactionAmount"]["amount"]) == ("COSTA", "42.50")

    assert api.post(f"/_sim/transactions/{dropped}/drop").status_code == 200
    body = api.get(f"/api/v2/accounts/{account_id}/transactions/").json()["transactions"]
    texts = [p.get("remittanceInformationUnstructured") for p in body["pending"]]
    assert "Invoice 2002" not in texts
    assert api.post(f"/_sim/transactions/{dropped}/drop").status_code == 404
    assert api.post(f"/_sim/transactions/{changed}/drop").status_code == 409


def test_reissued_account_ids_take_effect_on_the_next_link(api: httpx.Client) -> None:
    first = link_sandbox(api, "first")
    old_id = eur_account(api, first)
    reissued = api.post("/_sim/accounts/reissue-ids", json={"account_id": old_id}).json()
    assert reissued == {"accounts": [old_id]}
    assert api.get(f"/api/v2/accounts/{old_id}/").status_code == 200  # not before a new link

    second = link_sandbox(api, "second")
    new_id = eur_account(api, second)
    assert new_id != old_id
    assert old_id not in second["accounts"]
    assert len(set(second["accounts"]) & set(first["accounts"])) == 1  # the GBP one kept its id
    assert api.get(f"/api/v2/accounts/{old_id}/").status_code == 404
    meta = api.get(f"/api/v2/accounts/{new_id}/").json()
    assert meta["iban"].startswith("DE")
    body = api.get(f"/api/v2/accounts/{new_id}/transactions/").json()["transactions"]
    assert body["booked"]
    third = link_sandbox(api, "third")
    assert eur_account(api, third) == new_id  # once only


def test_unknown_account_ids_are_404_and_malformed_ones_400(api: httpx.Client) -> None:
    unknown = "f1d53c46-260d-4556-82df-4e5fed58e37c"
    balances = api.get(f"/api/v2/accounts/{unknown}/balances/")
    assert balances.json() == {
        "summary": f"Account ID {unknown} not found",
        "detail": "Please check whether you specified a valid Account ID",
        "status_code": 404,
    }
    assert api.get(f"/api/v2/accounts/{unknown}/").json()["summary"] == "Not found."
    malformed = api.get("/api/v2/accounts/abcdefg/")
    assert malformed.json() == {
        "summary": "Invalid Account ID",
        "detail": "abcdefg is not a valid Account UUID. ",
        "status_code": 400,
    }
    assert api.get("/api/v2/requisitions/abcdefg/").status_code == 404


def test_the_same_seed_and_day_give_the_same_bank(anon: httpx.Client) -> None:
    start = datetime.fromisoformat(START)
    twin_app, other_app = (create_app(seed=s, clock=SimClock(start)) for s in (7, 8))
    with SimServer(twin_app) as twin, SimServer(other_app) as other:
        mine = sim_state(anon)["accounts"]
        assert httpx.get(f"{twin.url}/_sim/state", timeout=5).json()["accounts"] == mine
        different = httpx.get(f"{other.url}/_sim/state", timeout=5).json()["accounts"]
        assert different != mine


def test_reset_returns_to_the_seeded_state(api: httpx.Client) -> None:
    seeded = sim_state(api)
    requisition = link_sandbox(api)
    account_id = eur_account(api, requisition)
    api.post(f"/_sim/accounts/{account_id}/transactions", json=[{"amount": "1.00"}])
    api.get(f"/api/v2/accounts/{account_id}/transactions/")
    assert sim_state(api)["quota"]
    api.post("/_sim/reset")
    after = sim_state(api)
    assert after["accounts"] == seeded["accounts"]
    assert (after["requisitions"], after["agreements"], after["quota"]) == ([], [], [])
    assert api.get("/api/v2/requisitions/").json()["count"] == 0


def test_links_honour_a_mount_prefix() -> None:
    mounted = DispatcherMiddleware(create_app(), {"/gocardless": create_app()})
    with SimServer(mounted) as running, httpx.Client(timeout=5) as client:
        base = f"{running.url}/gocardless"
        tokens = client.post(
            f"{base}/api/v2/token/new/",
            json={"secret_id": "sim-secret-id", "secret_key": "sim-secret-key"},
        ).json()
        headers = {"Authorization": f"Bearer {tokens['access']}"}
        created = client.post(
            f"{base}/api/v2/requisitions/",
            json={"redirect": REDIRECT, "institution_id": SANDBOX},
            headers=headers,
        ).json()
        assert created["link"].startswith(f"{base}/psd2/start/{created['id']}/")
        assert created["reference"] == created["id"]
        assert client.get(created["link"], params={"action": "approve"}).status_code == 302
