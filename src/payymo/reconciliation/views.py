"""Transaction API: running the reconciliation engine over the tenant's synced data."""

from __future__ import annotations

from flask import Blueprint

from payymo.api.context import Ctx
from payymo.api.registry import Limit, endpoint
from payymo.api.schemas import ApiModel
from payymo.auth.principal import Permission
from payymo.reconciliation import services

reconciliation_bp = Blueprint("reconciliation", __name__, url_prefix="/api/v1/reconciliation")


class RunOut(ApiModel):
    decided: int
    unchanged: int
    by_status: dict[str, int]


@endpoint(
    reconciliation_bp,
    "POST",
    "/run",
    summary="Decide every booked transaction now",
    permission=Permission.RECONCILE,
    response=RunOut,
    limit=Limit.EXPENSIVE,
    description="Stores a decision per booked transaction; applied decisions are never "
    "changed, and running twice changes nothing. Nothing is posted yet.",
)
def run(ctx: Ctx) -> RunOut:
    result = services.run_reconciliation(ctx.services, tenant_id=ctx.caller.tenant_id)
    return RunOut(decided=result.decided, unchanged=result.unchanged, by_status=result.by_status)
