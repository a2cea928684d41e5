"""The request context a view receives: who is calling, and the app's services."""

from __future__ import annotations

from dataclasses import dataclass

from flask import g, request

from payymo.auth.authenticate import authenticate
from payymo.auth.principal import Permission, Principal
from payymo.clock import Clock
from payymo.db import Database
from payymo.errors import Forbidden, Unauthorized
from payymo.http import AppServices, services
from payymo.logs import bind_context
from payymo.settings import Settings


@dataclass(frozen=True)
class Ctx:
    """Everything a view may use; views pass it on to services as keyword arguments."""

    principal: Principal | None
    services: AppServices
    request_id: str
    ip: str
    user_agent: str

    @property
    def db(self) -> Database:
        return self.services.db

    @property
    def settings(self) -> Settings:
        return self.services.settings

    @property
    def clock(self) -> Clock:
        return self.services.clock

    @property
    def caller(self) -> Principal:
        """The authenticated principal (only on endpoints that require one)."""
        if self.principal is None:
            raise Unauthorized(detail="authentication required")
        return self.principal


def request_principal() -> Principal:
    """The caller of this request, authenticated once (the rate limiter asks first, the view
    after); a 401 is remembered and raised again."""
    found: Principal | Unauthorized | None = g.get("authenticated")
    if found is None:
        try:
            found = authenticate(services(), request.headers.get("Authorization", ""))
        except Unauthorized as exc:
            found = exc
        g.authenticated = found
    if isinstance(found, Unauthorized):
        raise found
    return found


def build_context(permission: Permission | None, *, allow_limited: bool) -> Ctx:
    """Authenticate (when `permission` is set) and check the permission: 401 / 403 problems."""
    app_services = services()
    principal = None
    if permission is not None:
        principal = request_principal()
        bind_context(tenant_id=str(principal.tenant_id))
        if principal.limited and not allow_limited:
            raise Forbidden(detail="finish MFA enrolment first (POST /api/v1/me/mfa/setup)")
        if not principal.can(permission):
            raise Forbidden(detail=f"this needs the {permission.value!r} permission")
    g.principal = principal
    return Ctx(
        principal=principal,
        services=app_services,
        request_id=str(g.get("request_id", "")),
        ip=request.remote_addr or "",
        user_agent=request.headers.get("User-Agent", "")[:256],
    )
