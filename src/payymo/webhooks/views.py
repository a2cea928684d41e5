"""Inbound webhooks: the receivers providers post to, and the API that manages their URLs.

The receivers (`/webhooks/<provider>/<url key>`) are not part of the `/api/v1` API: no
authentication but the delivery's signature, none of the API's rate limits (Stripe's and
GoCardless' senders serve every tenant), only a per-address one.
"""

from __future__ import annotations

import json
from contextlib import AbstractContextManager, nullcontext
from typing import Any, TypeVar

from flask import Blueprint, Response, current_app, request
from sqlalchemy.exc import OperationalError

from payymo.api.context import Ctx
from payymo.api.ratelimit import client_ip
from payymo.api.registry import endpoint
from payymo.auth.principal import Permission
from payymo.errors import ServiceUnavailable
from payymo.http import request_body, services
from payymo.webhooks.inbound import SIGNATURE_HEADERS
from payymo.webhooks.models import InboundProvider
from payymo.webhooks.receive import receive
from payymo.webhooks.schemas import InboundWebhookCreated, InboundWebhookList, InboundWebhookOut
from payymo.webhooks.services import (
    InboundWebhookView,
    list_inbound_webhooks,
    rotate_inbound_webhook,
)

OutT = TypeVar("OutT", bound=InboundWebhookOut)
MAX_BODY_BYTES = 1024 * 1024  # Stripe's events are far smaller; GoCardless batches too

receiver_bp = Blueprint("webhook_receiver", __name__, url_prefix="/webhooks")
inbound_webhooks_bp = Blueprint(
    "inbound_webhooks", __name__, url_prefix="/api/v1/integrations/webhooks"
)


@receiver_bp.post("/<any(stripe, gocardless, whmcs):provider>/<url_key>")
def receive_webhook(provider: str, url_key: str) -> Response:
    with _per_address_limit():
        try:
            receipt = receive(
                services(),
                provider=InboundProvider(provider),
                url_key=url_key,
                body=request_body(MAX_BODY_BYTES),
                headers={name: request.headers.get(name, "") for name in SIGNATURE_HEADERS},
            )
        except OperationalError:  # the database is busy or away: the provider tries again
            raise ServiceUnavailable(detail="cannot store the delivery now; try again") from None
    body = {"received": receipt.received, "stored": receipt.stored}
    return Response(json.dumps(body), status=200, mimetype="application/json")


def _per_address_limit() -> AbstractContextManager[Any]:
    """The API's per-caller rate, per client address (the limiter is built after blueprints
    are registered, so it is looked up per request)."""
    limiter = next(iter(current_app.extensions.get("limiter", ())), None)
    if limiter is None:
        return nullcontext()
    rate = services().settings.rate_limit_api
    limit: AbstractContextManager[Any] = limiter.limit(rate, key_func=client_ip, scope="webhooks")
    return limit


@endpoint(
    inbound_webhooks_bp,
    "GET",
    "",
    summary="Where Stripe, GoCardless and WHMCS send their webhooks",
    permission=Permission.READ,
    response=InboundWebhookList,
)
def list_webhooks(ctx: Ctx) -> InboundWebhookList:
    found = list_inbound_webhooks(ctx.services, tenant_id=ctx.caller.tenant_id)
    return InboundWebhookList(data=[_out(InboundWebhookOut, view) for view in found])


@endpoint(
    inbound_webhooks_bp,
    "POST",
    "/stripe",
    summary="Create or rotate the Stripe webhook URL",
    permission=Permission.ADMIN,
    response=InboundWebhookCreated,
    description="Add the URL as an endpoint in Stripe, and its signing secret (whsec_…) as "
    "`webhook_secret` of PUT /api/v1/integrations/stripe. The old URL stops working.",
)
def rotate_stripe_webhook(ctx: Ctx) -> InboundWebhookCreated:
    return _rotated(ctx, InboundProvider.STRIPE)


@endpoint(
    inbound_webhooks_bp,
    "POST",
    "/gocardless",
    summary="Create or rotate the GoCardless webhook URL and secret",
    permission=Permission.ADMIN,
    response=InboundWebhookCreated,
    description="The secret is shown this once: give it and the URL to GoCardless "
    "(Developers → Create → Webhook endpoint). The old URL and secret stop working.",
)
def rotate_gocardless_webhook(ctx: Ctx) -> InboundWebhookCreated:
    return _rotated(ctx, InboundProvider.GOCARDLESS)


@endpoint(
    inbound_webhooks_bp,
    "POST",
    "/whmcs",
    summary="Create or rotate the WHMCS webhook URL and secret",
    permission=Permission.ADMIN,
    response=InboundWebhookCreated,
    description="The secret is shown this once: put it and the URL at the top of "
    "payymo_hooks.php in WHMCS's includes/hooks. The old URL and secret stop working.",
)
def rotate_whmcs_webhook(ctx: Ctx) -> InboundWebhookCreated:
    return _rotated(ctx, InboundProvider.WHMCS)


def _rotated(ctx: Ctx, provider: InboundProvider) -> InboundWebhookCreated:
    view = rotate_inbound_webhook(
        ctx.services, tenant_id=ctx.caller.tenant_id, actor=ctx.caller.actor, provider=provider
    )
    return _out(InboundWebhookCreated, view)


def _out(model: type[OutT], view: InboundWebhookView) -> OutT:
    fields = {name: getattr(view, name) for name in model.model_fields}
    return model(**fields)
