"""A thin WHMCS API client over httpx: one form POST per action, WHMCS's quirks absorbed here.

Every failure is one of `payymo.integrations.errors`, carrying WHMCS's own message and never
the credentials. Reads are retried with backoff; AddInvoicePayment is not, because WHMCS does
not deduplicate payments: whoever posts must check `get_transactions(transid=...)` first.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

import httpx
from pydantic import ValidationError

from payymo.bodies import unstorable_text
from payymo.integrations.errors import (
    ProviderAuthError,
    ProviderBadResponse,
    ProviderRateLimited,
    ProviderRejected,
    ProviderUnavailable,
)
from payymo.integrations.retry import RetryPolicy, call_with_retries
from payymo.invoicing.models import InvoiceStatus
from payymo.invoicing.whmcs_models import (
    DATETIME_FORMAT,
    WhmcsClientDetails,
    WhmcsIdentity,
    WhmcsInvoice,
    WhmcsInvoicePage,
    WhmcsInvoiceRow,
    WhmcsModel,
    WhmcsTransaction,
    WhmcsTransactionList,
)
from payymo.logs import get_logger

API_PATH = "/includes/api.php"
PAGE_SIZE = 100
USER_AGENT = "Payymo/0.1 (+https://payymo.dev)"
MAX_MESSAGE = 300
# WHMCS answers these with 403, but some installations (and proxies) send them with 200.
AUTH_MESSAGES = ("Authentication Failed", "Invalid IP", "Invalid Permissions")

DEFAULT_RETRY = RetryPolicy()

ModelT = TypeVar("ModelT", bound=WhmcsModel)
log = get_logger("payymo.whmcs")


@dataclass(frozen=True)
class WhmcsCredentials:
    """Decrypted connection details; `repr` shows the URL only."""

    base_url: str
    identifier: str = field(repr=False)
    secret: str = field(repr=False)
    access_key: str | None = field(default=None, repr=False)

    def form_fields(self) -> dict[str, str]:
        fields = {"identifier": self.identifier, "secret": self.secret}
        if self.access_key:
            fields["accesskey"] = self.access_key
        return fields

    def redact(self, text: str) -> str:
        """`text` without any credential in it, cut to a length fit for an error message."""
        for secret in (self.secret, self.access_key, self.identifier):
            if secret and len(secret) >= 4:  # shorter ones would mangle the text, not hide much
                text = text.replace(secret, "[redacted]")
        return text[:MAX_MESSAGE]


def _utcnow() -> datetime:
    return datetime.now(UTC)


class WhmcsClient:
    """One WHMCS installation's API; use as a context manager or call `close()`."""

    def __init__(
        self,
        credentials: WhmcsCredentials,
        *,
        timeout: float,
        now: Callable[[], datetime] = _utcnow,
        retry: RetryPolicy = DEFAULT_RETRY,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._credentials = credentials
        self._endpoint = credentials.base_url.rstrip("/") + API_PATH
        self._now, self._retry = now, retry
        self._http = httpx.Client(
            timeout=timeout, headers={"User-Agent": USER_AGENT}, transport=transport
        )

    def __enter__(self) -> WhmcsClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # --- actions -------------------------------------------------------------------------------

    def verify(self) -> WhmcsIdentity:
        """A cheap authenticated call (GetAdminDetails works on every WHMCS version)."""
        return self._read(WhmcsIdentity, "GetAdminDetails")

    def iter_invoice_pages(self, status: InvoiceStatus | None = None) -> Iterator[WhmcsInvoicePage]:
        """Every page of GetInvoices, ordered by id so that paging is stable while it runs.

        `numreturned` is not trusted (7.8 may report the total) and neither is `limitnum` (7.8
        may ignore it): the offset moves by the rows actually received, until a page is empty or
        `totalresults` is reached.
        """
        start = 0
        while True:
            fields = {"limitstart": str(start), "limitnum": str(PAGE_SIZE)}
            fields |= {"orderby": "id", "order": "asc"}
            page = self._read(
                WhmcsInvoicePage, "GetInvoices", **fields, **({"status": status} if status else {})
            )
            if page.invoices:
                yield page
            start += len(page.invoices)
            if not page.invoices or start >= page.total_results:
                return

    def iter_invoices(self, status: InvoiceStatus | None = None) -> Iterator[WhmcsInvoiceRow]:
        """Every invoice (of `status`, if given), each once."""
        seen: set[int] = set()
        for page in self.iter_invoice_pages(status):
            for row in page.invoices:
                if row.id not in seen:
                    seen.add(row.id)
                    yield row

    def get_invoice(self, invoice_id: int) -> WhmcsInvoice:
        """One invoice with its balance and transactions; unknown ids are ProviderRejected."""
        return self._read(WhmcsInvoice, "GetInvoice", invoiceid=str(invoice_id))

    def get_transactions(
        self, *, transid: str | None = None, invoice_id: int | None = None
    ) -> list[WhmcsTransaction]:
        """Every transaction matching the filters (WHMCS does not paginate this call)."""
        fields = {"transid": transid, "invoiceid": str(invoice_id) if invoice_id else None}
        given = {name: value for name, value in fields.items() if value}
        found = self._read(WhmcsTransactionList, "GetTransactions", **given)
        return list(found.transactions)

    def get_client(self, client_id: int) -> WhmcsClientDetails:
        """One client (GetClientsDetails); unknown ids are ProviderRejected."""
        body = self._call_with_retries("GetClientsDetails", {"clientid": str(client_id)})
        return _validate(WhmcsClientDetails, body.get("client"), "GetClientsDetails")

    def add_invoice_payment(
        self,
        *,
        invoice_id: int,
        transid: str,
        gateway: str,
        paid_at: datetime,
        amount: Decimal | None = None,
        fees: Decimal | None = None,
        send_email: bool = False,
    ) -> None:
        """Record a payment, exactly once per call: never retried (see the module docstring).

        `amount=None` pays the remaining balance; amounts go on the wire as plain decimals.
        """
        fields = {
            "invoiceid": str(invoice_id),
            "transid": transid,
            "gateway": gateway,
            "date": paid_at.astimezone(UTC).strftime(DATETIME_FORMAT),
        }
        if not send_email:
            # PHP reads any non-empty value, "false" included, as true: send it only to mute.
            fields["noemail"] = "true"
        if amount is not None:
            fields["amount"] = f"{amount:f}"
        if fees is not None:
            fields["fees"] = f"{fees:f}"
        self._post("AddInvoicePayment", fields)

    # --- transport -----------------------------------------------------------------------------

    def _read(self, model: type[ModelT], action: str, **fields: str) -> ModelT:
        return _validate(model, self._call_with_retries(action, fields), action)

    def _call_with_retries(self, action: str, fields: dict[str, str]) -> dict[str, Any]:
        return call_with_retries(
            lambda: self._post(action, fields), policy=self._retry, now=self._now
        )

    def _post(self, action: str, fields: dict[str, str]) -> dict[str, Any]:
        form = {**fields, **self._credentials.form_fields(), "action": action}
        form["responsetype"] = "json"
        try:
            response = self._http.post(self._endpoint, data=form)
        except httpx.TimeoutException:
            raise ProviderUnavailable(f"WHMCS did not answer {action} in time") from None
        except httpx.HTTPError as exc:
            reason = type(exc).__name__
            raise ProviderUnavailable(f"could not reach WHMCS for {action} ({reason})") from None
        log.debug("whmcs.call", action=action, status=response.status_code)
        return self._body(response, action)

    def _body(self, response: httpx.Response, action: str) -> dict[str, Any]:
        status = response.status_code
        body = _json_object(response)
        message = self._credentials.redact(_message(body) or _fallback_message(status))
        if status == 429:
            retry_at = self._retry_at(response)
            raise ProviderRateLimited(f"WHMCS {action}: {message}", retry_at=retry_at)
        if status >= 500:
            raise ProviderUnavailable(f"WHMCS {action}: {message}", status=status)
        if status in (401, 403):
            raise ProviderAuthError(f"WHMCS refused the credentials: {message}", status=status)
        if status != 200:
            raise ProviderBadResponse(f"WHMCS {action} answered HTTP {status}", status=status)
        if body is None:
            raise ProviderBadResponse(_not_json(response, action), status=status)
        if body.get("result") == "success":
            if unstorable_text(body):
                raise ProviderBadResponse(f"WHMCS {action} answered text that cannot be stored")
            return body
        # GetInvoice in 7.8 reports a missing invoice under `status`, not `result`.
        if body.get("result") == "error" or body.get("status") == "error":
            if message.startswith(AUTH_MESSAGES):
                raise ProviderAuthError(f"WHMCS refused the credentials: {message}", status=status)
            raise ProviderRejected(f"WHMCS {action}: {message}", status=status)
        raise ProviderBadResponse(f"WHMCS {action} answered without a result", status=status)

    def _retry_at(self, response: httpx.Response) -> datetime | None:
        seconds = response.headers.get("Retry-After", "")
        return self._now() + timedelta(seconds=int(seconds)) if seconds.isdigit() else None


def _json_object(response: httpx.Response) -> dict[str, Any] | None:
    """The body as a JSON object, or None when it is anything else."""
    try:
        body = json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return None
    return body if isinstance(body, dict) else None


def _message(body: dict[str, Any] | None) -> str:
    message = (body or {}).get("message")
    return message.strip() if isinstance(message, str) else ""


def _fallback_message(status: int) -> str:
    return "an error without a message" if status == 200 else f"HTTP {status}"


def _not_json(response: httpx.Response, action: str) -> str:
    if response.content.lstrip()[:1] == b"<":
        return f"WHMCS {action} answered an HTML page, not JSON (maintenance mode?)"
    return f"WHMCS {action} answered something that is not a JSON object"


def _validate(model: type[ModelT], body: Any, action: str) -> ModelT:
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise ProviderBadResponse(
            f"WHMCS {action} answered an unexpected shape at {where}: {first['msg']}"
        ) from None
