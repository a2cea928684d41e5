"""Integration API: connect the bank, Stripe and WHMCS; sync now; see their status."""

from __future__ import annotations

import uuid
from dataclasses import asdict

from flask import Blueprint

from payymo.api.context import Ctx
from payymo.api.registry import Limit, endpoint
from payymo.auth.principal import Permission
from payymo.banking import connections as bank
from payymo.banking import services as banking
from payymo.banking import sync as bank_sync
from payymo.banking.schemas import BankAccountOut
from payymo.integrations import status
from payymo.integrations.schemas import (
    BankCallbackIn,
    BankConnectionIn,
    BankConnectionList,
    BankConnectionOut,
    BankRenewIn,
    BankSyncOut,
    InstitutionList,
    InstitutionOut,
    InstitutionQuery,
    IntegrationStatusOut,
    StripeConnectIn,
    StripeConnectionOut,
    SyncSummaryOut,
    WhmcsConnectIn,
    WhmcsConnectionOut,
)
from payymo.invoicing import connections as whmcs
from payymo.invoicing.sync import sync_invoices
from payymo.payments import connections as stripe
from payymo.payments.sync import sync_stripe

integrations_bp = Blueprint("integrations", __name__, url_prefix="/api/v1/integrations")


@endpoint(
    integrations_bp,
    "GET",
    "",
    summary="Every connection and when each can sync next",
    permission=Permission.READ,
    response=IntegrationStatusOut,
)
def integration_status(ctx: Ctx) -> IntegrationStatusOut:
    return status.overview(ctx.services, tenant_id=ctx.caller.tenant_id)


@endpoint(
    integrations_bp,
    "GET",
    "/bank/institutions",
    summary="Banks available in a country",
    permission=Permission.ADMIN,
    query=InstitutionQuery,
    response=InstitutionList,
    upstream=True,
)
def list_institutions(ctx: Ctx, query: InstitutionQuery) -> InstitutionList:
    found = bank.list_institutions(ctx.services, country=query.country)
    return InstitutionList(
        data=[InstitutionOut(**{**asdict(i), "countries": list(i.countries)}) for i in found]
    )


@endpoint(
    integrations_bp,
    "GET",
    "/bank/connections",
    summary="Bank connections (consents)",
    permission=Permission.READ,
    response=BankConnectionList,
)
def list_bank_connections(ctx: Ctx) -> BankConnectionList:
    found = bank.list_connections(ctx.services, tenant_id=ctx.caller.tenant_id)
    return BankConnectionList(data=[BankConnectionOut.model_validate(c) for c in found])


@endpoint(
    integrations_bp,
    "POST",
    "/bank/connections",
    summary="Start connecting a bank",
    permission=Permission.ADMIN,
    body=BankConnectionIn,
    response=BankConnectionOut,
    status=201,
    limit=Limit.CONNECTIONS,
    description="Returns the consent `link` to send the user to; the bank redirects back "
    "to `redirect_url?ref=…`, whose `ref` goes to POST …/bank/connections/callback.",
    upstream=True,
)
def start_bank_connection(ctx: Ctx, body: BankConnectionIn) -> BankConnectionOut:
    connection = bank.start_connection(
        ctx.services,
        tenant_id=ctx.caller.tenant_id,
        actor=ctx.caller.actor,
        institution_id=body.institution_id,
        redirect_url=body.redirect_url,
    )
    return BankConnectionOut.model_validate(connection)


@endpoint(
    integrations_bp,
    "POST",
    "/bank/connections/callback",
    summary="Finish connecting after the bank's redirect",
    permission=Permission.ADMIN,
    body=BankCallbackIn,
    response=BankConnectionOut,
    limit=Limit.CONNECTIONS,
    upstream=True,
    errors=(404,),
)
def complete_bank_connection(ctx: Ctx, body: BankCallbackIn) -> BankConnectionOut:
    connection = bank.complete_connection(
        ctx.services,
        tenant_id=ctx.caller.tenant_id,
        actor=ctx.caller.actor,
        reference=body.reference,
    )
    return BankConnectionOut.model_validate(connection)


@endpoint(
    integrations_bp,
    "GET",
    "/bank/connections/<uuid:connection_id>",
    summary="One bank connection",
    permission=Permission.READ,
    response=BankConnectionOut,
    resource="bank_connection",
)
def get_bank_connection(ctx: Ctx, connection_id: uuid.UUID) -> BankConnectionOut:
    connection = bank.get_connection(
        ctx.services, tenant_id=ctx.caller.tenant_id, connection_id=connection_id
    )
    return BankConnectionOut.model_validate(connection)


@endpoint(
    integrations_bp,
    "POST",
    "/bank/connections/<uuid:connection_id>/renew",
    summary="Renew an expiring or expired consent (keeps the same accounts)",
    permission=Permission.ADMIN,
    body=BankRenewIn,
    response=BankConnectionOut,
    resource="bank_connection",
    limit=Limit.CONNECTIONS,
    upstream=True,
)
def renew_bank_connection(
    ctx: Ctx, connection_id: uuid.UUID, body: BankRenewIn
) -> BankConnectionOut:
    connection = bank.renew_connection(
        ctx.services,
        tenant_id=ctx.caller.tenant_id,
        actor=ctx.caller.actor,
        connection_id=connection_id,
        redirect_url=body.redirect_url,
    )
    return BankConnectionOut.model_validate(connection)


@endpoint(
    integrations_bp,
    "POST",
    "/bank/accounts/<uuid:account_id>/sync",
    summary="Sync one bank account now",
    permission=Permission.RECONCILE,
    response=BankSyncOut,
    resource="bank_account",
    limit=Limit.SYNCS,
    description="Within the bank's daily quota; a skipped sync says when the next call "
    "is allowed (`next_allowed_at`).",
    upstream=True,
)
def sync_bank_account(ctx: Ctx, account_id: uuid.UUID) -> BankSyncOut:
    banking.get_account(ctx.services, tenant_id=ctx.caller.tenant_id, account_id=account_id)
    result = bank_sync.sync_account(
        ctx.services, tenant_id=ctx.caller.tenant_id, account_id=account_id, manual=True
    )
    return BankSyncOut(
        account_id=result.account_id,
        added=result.added,
        updated=result.updated,
        unchanged=result.unchanged,
        skipped_reason=result.skipped_reason.value if result.skipped_reason else None,
        next_allowed_at=result.next_allowed_at,
        date_from=result.date_from,
        date_to=result.date_to,
    )


@endpoint(
    integrations_bp,
    "GET",
    "/whmcs",
    summary="The WHMCS connection",
    permission=Permission.READ,
    response=WhmcsConnectionOut,
    errors=(404,),
)
def get_whmcs(ctx: Ctx) -> WhmcsConnectionOut:
    return status.whmcs_out(
        whmcs.get_whmcs_connection(ctx.services, tenant_id=ctx.caller.tenant_id)
    )


@endpoint(
    integrations_bp,
    "PUT",
    "/whmcs",
    summary="Connect WHMCS (verified with a live call)",
    permission=Permission.ADMIN,
    body=WhmcsConnectIn,
    response=WhmcsConnectionOut,
    limit=Limit.CONNECTIONS,
    upstream=True,
)
def connect_whmcs(ctx: Ctx, body: WhmcsConnectIn) -> WhmcsConnectionOut:
    connection = whmcs.connect_whmcs(
        ctx.services,
        tenant_id=ctx.caller.tenant_id,
        actor=ctx.caller.actor,
        base_url=body.base_url,
        identifier=body.identifier,
        secret=body.secret,
        access_key=body.access_key,
    )
    return status.whmcs_out(connection)


@endpoint(
    integrations_bp,
    "DELETE",
    "/whmcs",
    summary="Disconnect WHMCS",
    permission=Permission.ADMIN,
    status=204,
    errors=(404,),
)
def disconnect_whmcs(ctx: Ctx) -> None:
    whmcs.disconnect_whmcs(ctx.services, tenant_id=ctx.caller.tenant_id, actor=ctx.caller.actor)


@endpoint(
    integrations_bp,
    "POST",
    "/whmcs/sync",
    summary="Refresh the invoice snapshot now",
    permission=Permission.RECONCILE,
    response=SyncSummaryOut,
    limit=Limit.SYNCS,
    upstream=True,
    errors=(404,),
)
def sync_whmcs(ctx: Ctx) -> SyncSummaryOut:
    result = sync_invoices(ctx.services, tenant_id=ctx.caller.tenant_id)
    counts = {k: v for k, v in asdict(result).items() if isinstance(v, int)}
    return SyncSummaryOut(job_id=result.job_id, counts=counts)


@endpoint(
    integrations_bp,
    "GET",
    "/stripe",
    summary="The Stripe connection",
    permission=Permission.READ,
    response=StripeConnectionOut,
    errors=(404,),
)
def get_stripe(ctx: Ctx) -> StripeConnectionOut:
    return status.stripe_out(
        stripe.get_stripe_connection(ctx.services, tenant_id=ctx.caller.tenant_id)
    )


@endpoint(
    integrations_bp,
    "PUT",
    "/stripe",
    summary="Connect Stripe (verified with a live call)",
    permission=Permission.ADMIN,
    body=StripeConnectIn,
    response=StripeConnectionOut,
    limit=Limit.CONNECTIONS,
    upstream=True,
)
def connect_stripe(ctx: Ctx, body: StripeConnectIn) -> StripeConnectionOut:
    connection = stripe.connect_stripe(
        ctx.services,
        tenant_id=ctx.caller.tenant_id,
        actor=ctx.caller.actor,
        api_key=body.api_key,
        webhook_secret=body.webhook_secret,
    )
    return status.stripe_out(connection)


@endpoint(
    integrations_bp,
    "DELETE",
    "/stripe",
    summary="Disconnect Stripe",
    permission=Permission.ADMIN,
    status=204,
    errors=(404,),
)
def disconnect_stripe(ctx: Ctx) -> None:
    stripe.disconnect_stripe(ctx.services, tenant_id=ctx.caller.tenant_id, actor=ctx.caller.actor)


@endpoint(
    integrations_bp,
    "POST",
    "/stripe/sync",
    summary="Sync Stripe payments and payouts now",
    permission=Permission.RECONCILE,
    response=SyncSummaryOut,
    limit=Limit.SYNCS,
    upstream=True,
    errors=(404,),
)
def sync_stripe_now(ctx: Ctx) -> SyncSummaryOut:
    result = sync_stripe(ctx.services, tenant_id=ctx.caller.tenant_id)
    counts = {k: v for k, v in result.as_dict().items() if isinstance(v, int)}
    return SyncSummaryOut(job_id=None, counts=counts)


__all__ = ["BankAccountOut", "integrations_bp"]
