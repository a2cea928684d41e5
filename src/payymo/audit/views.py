"""The audit log, filterable by actor, object and date."""

from __future__ import annotations

from flask import Blueprint

from payymo.api.context import Ctx
from payymo.api.registry import endpoint
from payymo.audit import services
from payymo.audit.schemas import AuditEntryOut, AuditPage, AuditQuery
from payymo.auth.principal import Permission

audit_bp = Blueprint("audit", __name__, url_prefix="/api/v1/audit-log")


@endpoint(
    audit_bp,
    "GET",
    "",
    summary="Audit log, newest first",
    permission=Permission.ADMIN,
    query=AuditQuery,
    response=AuditPage,
)
def list_audit(ctx: Ctx, query: AuditQuery) -> AuditPage:
    rows, cursor = services.list_entries(ctx.services, tenant_id=ctx.caller.tenant_id, query=query)
    return AuditPage(data=[AuditEntryOut.model_validate(e) for e in rows], next_cursor=cursor)
