"""Account API: the tenant's profile, settings, data export and deletion; platform listing."""

from __future__ import annotations

from flask import Blueprint, Response, send_file

from payymo.api.context import Ctx
from payymo.api.registry import Limit, endpoint
from payymo.api.schemas import ApiModel
from payymo.auth.principal import Permission
from payymo.tenants import services
from payymo.tenants.schemas import (
    DeleteTenantIn,
    TenantList,
    TenantOut,
    TenantSettingsIn,
    TenantSettingsModel,
    TenantSettingsPatch,
    TenantUpdateIn,
)

tenant_bp = Blueprint("tenant", __name__, url_prefix="/api/v1/tenant")
settings_bp = Blueprint("settings", __name__, url_prefix="/api/v1/settings")
platform_bp = Blueprint("platform", __name__, url_prefix="/api/v1/platform")


@endpoint(
    tenant_bp,
    "GET",
    "",
    summary="The tenant's profile",
    permission=Permission.READ,
    response=TenantOut,
)
def get_tenant(ctx: Ctx) -> TenantOut:
    return TenantOut.model_validate(
        services.get_tenant(ctx.services, tenant_id=ctx.caller.tenant_id)
    )


@endpoint(
    tenant_bp,
    "PATCH",
    "",
    summary="Update the tenant's profile",
    permission=Permission.ADMIN,
    body=TenantUpdateIn,
    response=TenantOut,
)
def update_tenant(ctx: Ctx, body: TenantUpdateIn) -> TenantOut:
    tenant = services.update_tenant(
        ctx.services,
        tenant_id=ctx.caller.tenant_id,
        actor=ctx.caller.actor,
        name=body.name,
        default_currency=body.default_currency,
    )
    return TenantOut.model_validate(tenant)


@endpoint(
    tenant_bp,
    "POST",
    "/export",
    summary="Export all the tenant's data (zip of JSON + CSV)",
    permission=Permission.OWNER,
    produces="application/zip",
    limit=Limit.EXPORTS,
)
def export_tenant(ctx: Ctx) -> Response:
    archive = services.export_tenant(
        ctx.services, tenant_id=ctx.caller.tenant_id, actor=ctx.caller.actor
    )
    return send_file(
        archive, mimetype="application/zip", as_attachment=True, download_name="payymo-export.zip"
    )


@endpoint(
    tenant_bp,
    "DELETE",
    "",
    summary="Delete the tenant and purge all its data",
    permission=Permission.OWNER,
    body=DeleteTenantIn,
    status=204,
)
def delete_tenant(ctx: Ctx, body: DeleteTenantIn) -> None:
    services.delete_tenant(ctx.services, tenant_id=ctx.caller.tenant_id, confirm=body.confirm)


@endpoint(
    settings_bp,
    "GET",
    "",
    summary="Tenant settings, matching rules included",
    permission=Permission.READ,
    response=TenantSettingsModel,
)
def get_settings(ctx: Ctx) -> TenantSettingsModel:
    return services.get_settings(ctx.services, tenant_id=ctx.caller.tenant_id)


@endpoint(
    settings_bp,
    "PUT",
    "",
    summary="Replace the tenant settings",
    permission=Permission.ADMIN,
    body=TenantSettingsIn,
    response=TenantSettingsModel,
    description="A full replace: every field is required (a missing one is a 422 naming it). "
    "PATCH changes only the fields it sends.",
)
def replace_settings(ctx: Ctx, body: TenantSettingsModel) -> TenantSettingsModel:
    return services.replace_settings(
        ctx.services, tenant_id=ctx.caller.tenant_id, actor=ctx.caller.actor, settings=body
    )


@endpoint(
    settings_bp,
    "PATCH",
    "",
    summary="Change some tenant settings",
    permission=Permission.ADMIN,
    body=TenantSettingsPatch,
    response=TenantSettingsModel,
    description="Only the fields sent change (within `matching`, only the rules sent; a list "
    "is replaced whole). The result is validated like a PUT; unknown fields are a 422.",
)
def change_settings(ctx: Ctx, body: ApiModel) -> TenantSettingsModel:
    return services.change_settings(
        ctx.services,
        tenant_id=ctx.caller.tenant_id,
        actor=ctx.caller.actor,
        changes=body.model_dump(mode="json", exclude_unset=True),
    )


@endpoint(
    platform_bp,
    "GET",
    "/tenants",
    summary="Every tenant (platform operators)",
    permission=Permission.PLATFORM,
    response=TenantList,
)
def list_tenants(ctx: Ctx) -> TenantList:
    return TenantList(
        data=[TenantOut.model_validate(t) for t in services.list_all_tenants(ctx.services)]
    )
