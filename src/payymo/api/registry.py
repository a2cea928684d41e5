"""Declaring API endpoints once: route, auth, input and output models, limits, documentation.

    @endpoint(bp, "GET", "/invoices/<uuid:invoice_id>", summary="One invoice",
              permission=Permission.READ, response=InvoiceOut, resource="invoice")
    def get_invoice(ctx: Ctx, invoice_id: uuid.UUID) -> InvoiceOut: ...

The wrapper authenticates, checks the permission, parses the query string and JSON body into
their pydantic models (400/422 problems on bad input), calls the view with keyword arguments,
and serialises the returned model. Every endpoint lands in `ENDPOINTS`, from which the OpenAPI
document, the rate limits and the tenant-isolation tests are derived.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import wraps
from typing import Any

import pydantic_core
from flask import Blueprint, Response, request
from pydantic import BaseModel, ValidationError

from payymo.api.context import Ctx, build_context
from payymo.auth.principal import Permission
from payymo.bodies import unstorable_text
from payymo.errors import FieldError, ValidationFailed, field_errors_from_pydantic
from payymo.http import json_body

API_PREFIX = "/api/v1"
_CONVERTER_RE = re.compile(r"<(?:(?P<conv>[a-z]+):)?(?P<name>\w+)>")


class Limit(StrEnum):
    """The named rate limit an endpoint spends besides the per-caller `api` limit, which every
    endpoint spends. What each counts per and the setting of its rate: `api/ratelimit.py`."""

    AUTH = "auth"  # signing in and the other credential endpoints
    EXPORTS = "exports"
    RECONCILIATION = "reconciliation"  # running the engine, posting to WHMCS now
    SYNCS = "syncs"  # pulling from a provider now
    CONNECTIONS = "connections"  # connecting (or renewing, or testing) a provider or endpoint


@dataclass(frozen=True)
class Endpoint:
    method: str
    rule: str  # Flask rule under the API prefix, e.g. /api/v1/invoices/<uuid:invoice_id>
    name: str  # Flask endpoint name, blueprint.function
    summary: str
    tags: tuple[str, ...]
    permission: Permission | None  # None: public
    query: type[BaseModel] | None
    body: type[BaseModel] | None
    response: type[BaseModel] | None
    status: int
    produces: str
    limit: Limit | None
    resource: str | None  # the kind of object a path id names, for isolation tests
    allow_limited: bool
    upstream: bool = False  # calls a provider, so its failures (409/429/502/503) can surface
    errors: tuple[int, ...] = ()  # further documented error statuses, e.g. 404 for a singleton
    description: str = ""
    path_params: dict[str, str] = field(default_factory=dict)  # name -> converter

    @property
    def openapi_path(self) -> str:
        return _CONVERTER_RE.sub(lambda m: "{" + m["name"] + "}", self.rule)


ENDPOINTS: list[Endpoint] = []
View = Callable[..., Any]


def endpoint(
    bp: Blueprint,
    method: str,
    path: str,
    *,
    summary: str,
    permission: Permission | None,
    query: type[BaseModel] | None = None,
    body: type[BaseModel] | None = None,
    response: type[BaseModel] | None = None,
    status: int = 200,
    produces: str = "application/json",
    limit: Limit | None = None,
    resource: str | None = None,
    allow_limited: bool = False,
    upstream: bool = False,
    errors: tuple[int, ...] = (),
    description: str = "",
) -> Callable[[View], View]:
    """Register `view` on `bp` (whose url_prefix starts with /api/v1) and in `ENDPOINTS`."""

    def decorator(view: View) -> View:
        @wraps(view)
        def handler(**path_values: Any) -> Response:
            ctx = build_context(permission, allow_limited=allow_limited)
            kwargs = dict(path_values)
            if query is not None:
                kwargs["query"] = parse_query(query)
            if body is not None:
                kwargs["body"] = json_body(body)
            return to_response(view(ctx, **kwargs), status)

        bp.add_url_rule(path, endpoint=view.__name__, view_func=handler, methods=[method])
        rule = f"{bp.url_prefix or ''}{path}"
        if not rule.startswith(API_PREFIX):
            raise ValueError(f"{rule} is not under {API_PREFIX}")
        ENDPOINTS.append(
            Endpoint(
                method=method,
                rule=rule,
                name=f"{bp.name}.{view.__name__}",
                summary=summary,
                tags=(bp.name,),
                permission=permission,
                query=query,
                body=body,
                response=response,
                status=status,
                produces=produces,
                limit=limit,
                resource=resource,
                allow_limited=allow_limited,
                upstream=upstream,
                errors=errors,
                description=description,
                path_params={
                    m["name"]: m["conv"] or "string" for m in _CONVERTER_RE.finditer(rule)
                },
            )
        )
        return handler

    return decorator


def parse_query(model: type[BaseModel]) -> BaseModel:
    """Validate the query string against `model`; 422 with field errors if it does not fit."""
    raw: dict[str, Any] = {}
    for key in request.args:
        values = request.args.getlist(key)
        raw[key] = values if len(values) > 1 else values[0]
    if bad := unstorable_text(raw, "query"):
        raise ValidationFailed(
            detail="the query string has invalid parameters",
            errors=[FieldError(bad, "contains a NUL character or an unpaired surrogate")],
        )
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise ValidationFailed(
            detail="the query string has invalid parameters",
            errors=field_errors_from_pydantic(exc.errors(include_url=False)),  # type: ignore[arg-type]
        ) from None


def to_response(result: Any, status: int) -> Response:
    if isinstance(result, Response):
        return result
    if result is None:
        return Response(status=204)
    if isinstance(result, BaseModel):
        return Response(
            result.model_dump_json(by_alias=True), status=status, mimetype="application/json"
        )
    raise TypeError(f"an endpoint returned {type(result).__name__}")


def json_response(content: Any, status: int = 200) -> Response:
    """Plain values (dicts, lists, UUIDs, dates, enums) as JSON, serialised like a model.

    For long lists whose items would each be validated for nothing; the endpoint still
    declares its `response` model, and tests hold the plain values to it.
    """
    return Response(pydantic_core.to_json(content), status=status, mimetype="application/json")


__all__ = ["API_PREFIX", "ENDPOINTS", "Ctx", "Endpoint", "Limit", "endpoint", "json_response"]
