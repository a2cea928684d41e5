"""The GoCardless Bank Account Data client: httpx, a token cache, and one error vocabulary.

Every failure leaves as a `ProviderError`; no message carries a secret or a token.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel

from payymo.banking import gocardless_responses as responses
from payymo.banking import gocardless_schemas as wire
from payymo.banking import gocardless_transactions as entries
from payymo.banking.gocardless_tokens import TokenCache
from payymo.banking.provider import (
    AccountDetails,
    AccountMetadata,
    Agreement,
    Institution,
    Requisition,
    TransactionBatch,
    UnreadableAnswer,
)
from payymo.clock import Clock
from payymo.integrations.errors import ProviderBadResponse, ProviderUnavailable
from payymo.integrations.retry import RetryPolicy, call_with_retries
from payymo.settings import Settings

ModelT = TypeVar("ModelT", bound=BaseModel)
ResultT = TypeVar("ResultT")

API_PREFIX = "/api/v2"
DEFAULT_RETRY = RetryPolicy()
ACCESS_SCOPE = ("balances", "details", "transactions")
INVALID_TOKEN = "Invalid token"  # noqa: S105 - the error summary, not a credential


def api_root(base_url: str) -> str:
    """`base_url` with `/api/v2/` once: settings may give the host or the API root."""
    root = base_url.rstrip("/")
    return f"{root if root.endswith(API_PREFIX) else root + API_PREFIX}/"


class GoCardlessClient:
    """A `BankProvider` over one `httpx.Client`; thread-safe, reuse it for the token cache."""

    name = "gocardless"

    def __init__(
        self,
        *,
        base_url: str,
        secret_id: str,
        secret_key: str,
        timeout: float,
        clock: Clock,
        retry: RetryPolicy = DEFAULT_RETRY,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._http = httpx.Client(
            base_url=api_root(base_url),
            timeout=timeout,
            headers={"Accept": "application/json"},
            transport=transport,
        )
        self._secret_id, self._secret_key = secret_id, secret_key
        self._timeout, self._clock, self._retry, self._sleep = timeout, clock, retry, sleep
        self._tokens = TokenCache(mint=self._mint, refresh=self._refresh, clock=clock)

    @classmethod
    def from_settings(cls, settings: Settings, *, clock: Clock, **options: Any) -> GoCardlessClient:
        secret_id, secret_key = settings.effective_gocardless_credentials
        return cls(
            base_url=settings.effective_gocardless_base_url,
            secret_id=secret_id,
            secret_key=secret_key,
            timeout=settings.http_timeout_seconds,
            clock=clock,
            **options,
        )

    def close(self) -> None:
        self._http.close()

    def __repr__(self) -> str:
        return f"GoCardlessClient({self._http.base_url})"

    def institutions(self, *, country: str) -> list[Institution]:
        response = self._get("institutions/", params={"country": country})
        body = responses.json_body(response, "institution list")
        if not isinstance(body, list):
            raise ProviderBadResponse("GoCardless sent an institution list that is not a list")
        return [wire.institution(wire.parse(wire.InstitutionWire, i, "institution")) for i in body]

    def institution(self, institution_id: str) -> Institution:
        path = f"institutions/{_segment(institution_id)}/"
        return wire.institution(self._parsed(wire.InstitutionWire, self._get(path), "institution"))

    def create_agreement(
        self, *, institution_id: str, max_historical_days: int, access_valid_for_days: int
    ) -> Agreement:
        request = {
            "institution_id": institution_id,
            "max_historical_days": max_historical_days,
            "access_valid_for_days": access_valid_for_days,
            "access_scope": list(ACCESS_SCOPE),
        }
        response = self._post("agreements/enduser/", request)
        return wire.agreement(self._parsed(wire.AgreementWire, response, "agreement"))

    def agreement(self, agreement_id: str) -> Agreement:
        response = self._get(f"agreements/enduser/{_segment(agreement_id)}/")
        return wire.agreement(self._parsed(wire.AgreementWire, response, "agreement"))

    def create_requisition(
        self, *, institution_id: str, agreement_id: str, redirect_url: str, reference: str
    ) -> Requisition:
        request = {
            "redirect": redirect_url,
            "institution_id": institution_id,
            "agreement": agreement_id,
            "reference": reference,
            "user_language": "EN",
        }
        response = self._post("requisitions/", request)
        return wire.requisition(self._parsed(wire.RequisitionWire, response, "requisition"))

    def requisition(self, requisition_id: str) -> Requisition:
        response = self._get(f"requisitions/{_segment(requisition_id)}/")
        return wire.requisition(self._parsed(wire.RequisitionWire, response, "requisition"))

    def account_metadata(self, account_id: str) -> AccountMetadata:
        response = self._get(f"accounts/{_segment(account_id)}/")
        return wire.metadata(self._parsed(wire.MetadataWire, response, "account"))

    def account_details(self, account_id: str) -> AccountDetails:
        response = self._get(f"accounts/{_segment(account_id)}/details/")
        body = self._parsed(wire.DetailsWire, response, "account details")
        return wire.details(body, responses.quota(response.headers))

    def transactions(self, account_id: str, *, date_from: date, date_to: date) -> TransactionBatch:
        response = self._get(
            f"accounts/{_segment(account_id)}/transactions/",
            params={"date_from": date_from.isoformat(), "date_to": date_to.isoformat()},
        )
        quota = responses.quota(response.headers)
        try:
            body = responses.json_body(response, "transaction list")
            lists = wire.parse(entries.TransactionsWire, body, "transaction list", shallow=True)
        except ProviderBadResponse as exc:
            # The bank counted this call: the quota travels with the error so the caller can too.
            raise UnreadableAnswer(exc.message, status=response.status_code, quota=quota) from None
        return entries.batch(lists.transactions, quota)

    def _parsed(self, model: type[ModelT], response: httpx.Response, what: str) -> ModelT:
        return wire.parse(model, responses.json_body(response, what), what)

    # Retries happen at one level only, around the whole request (its token included): minting
    # and refreshing never retry on their own, or a token outage multiplies the calls.

    def _get(self, path: str, params: Mapping[str, str] | None = None) -> httpx.Response:
        return self._retrying(lambda: self._authorized("GET", path, params=params))

    def _post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        # Only the token is retried: a lost answer may hide a created agreement or requisition,
        # and a second requisition with the same reference is refused.
        token = self._retrying(self._tokens.access)
        return self._authorized("POST", path, token=token, json=body)

    def _retrying(self, call: Callable[[], ResultT]) -> ResultT:
        return call_with_retries(call, policy=self._retry, now=self._clock.now, sleep=self._sleep)

    def _authorized(
        self, method: str, path: str, *, token: str | None = None, **options: Any
    ) -> httpx.Response:
        token = token or self._tokens.access()
        response = self._send(method, path, token=token, **options)
        if response.status_code == 401 and responses.summary(response) == INVALID_TOKEN:
            response = self._send(method, path, token=self._tokens.replace(token), **options)
        self._check(response)
        return response

    def _mint(self) -> wire.TokenPair:
        credentials = {"secret_id": self._secret_id, "secret_key": self._secret_key}
        response = self._checked("POST", "token/new/", json=credentials)
        return self._parsed(wire.TokenPair, response, "token")

    def _refresh(self, refresh: str) -> wire.AccessToken:
        response = self._checked("POST", "token/refresh/", json={"refresh": refresh})
        return self._parsed(wire.AccessToken, response, "token")

    def _checked(self, method: str, path: str, **options: Any) -> httpx.Response:
        response = self._send(method, path, token=None, **options)
        self._check(response)
        return response

    def _send(self, method: str, path: str, *, token: str | None, **options: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            return self._http.request(method, path, headers=headers, **options)
        except httpx.TimeoutException:
            raise ProviderUnavailable(
                f"GoCardless did not answer within {self._timeout:g} s"
            ) from None
        except httpx.TransportError as exc:
            raise ProviderUnavailable(
                f"GoCardless could not be reached ({type(exc).__name__})"
            ) from None

    def _check(self, response: httpx.Response) -> None:
        status = response.status_code
        if status < 400:
            return
        body = responses.error_body(response)
        message = self._scrub(responses.describe(status, body))
        raise responses.error(status, body, message, response.headers, self._clock.now())

    def _scrub(self, text: str) -> str:
        for secret in (self._secret_id, self._secret_key, *self._tokens.secrets()):
            if secret:
                text = text.replace(secret, "[redacted]")
        return text


def _segment(value: str) -> str:
    return quote(value, safe="")
