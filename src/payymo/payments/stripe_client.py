"""A thin wrapper over the official Stripe SDK: one client per tenant key, our errors only.

Every list is walked with `auto_paging_iter()` at Stripe's largest page (100) and yields plain
dicts (the SDK's objects are not mappings). Whatever the SDK raises becomes one of
`payymo.integrations.errors`, with a message that never carries the key.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import stripe
from stripe.params import (
    BalanceTransactionListParams,
    ChargeListParams,
    PaymentIntentListParams,
    PayoutListParams,
    RefundListParams,
)

from payymo.integrations.errors import (
    ProviderAuthError,
    ProviderBadResponse,
    ProviderError,
    ProviderRateLimited,
    ProviderRejected,
    ProviderUnavailable,
)
from payymo.settings import Settings

PAGE_SIZE = 100
# Each (re)tried request sleeps 0.5-5 s in the SDK; two retries absorb a short Stripe blip.
MAX_NETWORK_RETRIES = 2
# The resources a sync reads: a restricted key needs read access to each of them.
REQUIRED_READS = ("charges", "payment_intents", "refunds", "payouts", "balance_transactions")
StripeJson = dict[str, Any]
"""A Stripe object as its JSON: expanded fields are nested dicts, ids otherwise."""
_KEY_RE = re.compile(r"\b(sk|rk|pk)_(test|live)_[A-Za-z0-9*]+")


class StripeApiClient:
    """The Stripe API as one tenant's key sees it."""

    def __init__(
        self,
        api_key: str,
        *,
        api_base: str = "",
        timeout: float = 10.0,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._http = stripe.HTTPXClient(allow_sync_methods=True, timeout=timeout)
        self._sdk = stripe.StripeClient(
            api_key,
            base_addresses={"api": api_base} if api_base else None,
            http_client=self._http,
            max_network_retries=MAX_NETWORK_RETRIES,
        )
        self._now = now

    @classmethod
    def from_settings(
        cls, api_key: str, settings: Settings, *, now: Callable[[], datetime] | None = None
    ) -> StripeApiClient:
        """A client for `api_key` at Stripe, or at the simulator that `settings` name."""
        return cls(
            api_key,
            api_base=settings.effective_stripe_api_base,
            timeout=settings.http_timeout_seconds,
            now=now or (lambda: datetime.now(UTC)),
        )

    def __repr__(self) -> str:
        return "StripeApiClient()"  # never the key

    def close(self) -> None:
        self._http.close()  # type: ignore[no-untyped-call] # the SDK leaves it unannotated

    def __enter__(self) -> StripeApiClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def verify(self) -> str | None:
        """Prove the key works and may read all a sync needs; the account id if it may see it."""
        account_id = self._account_id()
        for name in REQUIRED_READS:
            with self._translated(name.replace("_", " ")):
                getattr(self._sdk.v1, name).list(params={"limit": 1})
        return account_id

    def _account_id(self) -> str | None:
        try:
            with self._translated("the account"):
                account = self._sdk.v1.accounts.retrieve_current()
        except ProviderAuthError as exc:
            if exc.status == 403:  # a restricted key without account access is still usable
                return None
            raise
        found = account.to_dict().get("id")
        if not isinstance(found, str):
            raise ProviderBadResponse("Stripe sent an account without an id")
        return found

    def iter_charges(self, *, created_gte: datetime | None = None) -> Iterator[StripeJson]:
        """Charges, newest first, with their balance transaction and payment intent."""
        params: ChargeListParams = {
            "limit": PAGE_SIZE,
            "expand": ["data.balance_transaction", "data.payment_intent"],
        }
        if created_gte is not None:
            params["created"] = {"gte": _unix(created_gte)}
        return self._walk("charges", lambda: self._sdk.v1.charges.list(params=params))

    def iter_payment_intents(self, *, created_gte: datetime | None = None) -> Iterator[StripeJson]:
        """Payment intents, newest first, with their latest charge and its balance transaction."""
        params: PaymentIntentListParams = {
            "limit": PAGE_SIZE,
            "expand": ["data.latest_charge.balance_transaction"],
        }
        if created_gte is not None:
            params["created"] = {"gte": _unix(created_gte)}
        return self._walk(
            "payment intents", lambda: self._sdk.v1.payment_intents.list(params=params)
        )

    def iter_refunds(self, *, created_gte: datetime | None = None) -> Iterator[StripeJson]:
        """Refunds, newest first, each with its charge as `iter_charges` expands it."""
        params: RefundListParams = {
            "limit": PAGE_SIZE,
            "expand": ["data.charge.balance_transaction", "data.charge.payment_intent"],
        }
        if created_gte is not None:
            params["created"] = {"gte": _unix(created_gte)}
        return self._walk("refunds", lambda: self._sdk.v1.refunds.list(params=params))

    def iter_payouts(self, *, created_gte: datetime | None = None) -> Iterator[StripeJson]:
        """Payouts, newest first."""
        params: PayoutListParams = {"limit": PAGE_SIZE}
        if created_gte is not None:
            params["created"] = {"gte": _unix(created_gte)}
        return self._walk("payouts", lambda: self._sdk.v1.payouts.list(params=params))

    def iter_balance_transactions(
        self, *, payout: str | None = None, created_gte: datetime | None = None
    ) -> Iterator[StripeJson]:
        """Balance transactions with their source; `payout` works for automatic payouts only."""
        params: BalanceTransactionListParams = {"limit": PAGE_SIZE, "expand": ["data.source"]}
        if payout is not None:
            params["payout"] = payout
        if created_gte is not None:
            params["created"] = {"gte": _unix(created_gte)}
        return self._walk(
            "balance transactions", lambda: self._sdk.v1.balance_transactions.list(params=params)
        )

    def _walk(self, what: str, listing: Callable[[], Any]) -> Iterator[StripeJson]:
        with self._translated(what):
            for item in listing().auto_paging_iter():
                yield item.to_dict()

    @contextmanager
    def _translated(self, what: str) -> Iterator[None]:
        # `from None`: the SDK's exception text can quote the (masked) key and raw bodies.
        try:
            yield
        except stripe.StripeError as exc:
            raise provider_error(exc, what, now=self._now()) from None
        except (KeyError, AttributeError, TypeError, ValueError):
            raise ProviderBadResponse(f"Stripe sent {what} in a shape Payymo cannot read") from None


def provider_error(exc: stripe.StripeError, what: str, *, now: datetime) -> ProviderError:
    """Our error for what the SDK raised while reading `what`."""
    status, ref = exc.http_status, _reference(exc)
    if isinstance(exc, stripe.AuthenticationError):
        return ProviderAuthError(
            f"Stripe refused the API key: it is wrong, expired or revoked{ref}", status=status
        )
    if isinstance(exc, stripe.PermissionError):
        return ProviderAuthError(
            f"The API key may not read {what}: give it read access in Stripe{ref}", status=status
        )
    if isinstance(exc, stripe.RateLimitError):
        retry_at = _retry_at(exc.headers, now)
        return ProviderRateLimited(
            f"Stripe is rate limiting this account{ref}", retry_at=retry_at, status=status or 429
        )
    if isinstance(exc, stripe.APIConnectionError):
        return ProviderUnavailable(f"Stripe could not be reached while reading {what}")
    return _by_status(exc, what, ref)


def _by_status(exc: stripe.StripeError, what: str, ref: str) -> ProviderError:
    status = exc.http_status
    if status is not None and status >= 500:
        return ProviderUnavailable(f"Stripe answered HTTP {status} for {what}{ref}", status=status)
    if isinstance(exc, stripe.APIError) or status is None:
        # The SDK raises APIError for bodies it cannot parse, even with HTTP 200.
        return ProviderBadResponse(f"Stripe sent {what} Payymo cannot read{ref}", status=status)
    detail = _KEY_RE.sub("[key]", exc.user_message or "no reason given")
    return ProviderRejected(f"Stripe rejected the request for {what}: {detail}{ref}", status=status)


def _reference(exc: stripe.StripeError) -> str:
    return f" (Stripe request {exc.request_id})" if exc.request_id else ""


def _retry_at(headers: dict[str, str] | None, now: datetime) -> datetime | None:
    value = {k.lower(): v for k, v in (headers or {}).items()}.get("retry-after", "")
    return now + timedelta(seconds=int(value)) if value.strip().isdigit() else None


def _unix(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("created_gte must be an aware datetime")
    return int(moment.timestamp())


def object_id(value: Any) -> str | None:
    """The id of a field that holds either an id or, when expanded, the object itself."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) else None
