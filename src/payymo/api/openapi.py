"""The OpenAPI 3.1 document, generated from the endpoint registry and its pydantic models."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from payymo import __version__
from payymo.api.registry import ENDPOINTS, Endpoint, Limit
from payymo.api.schemas import Problem
from payymo.bodies import API_MAX_BODY_BYTES, MAX_DEPTH
from payymo.errors import PROBLEM_MEDIA_TYPE

REF = "#/components/schemas/{model}"
_CONVERTER_SCHEMAS = {"uuid": {"type": "string", "format": "uuid"}, "int": {"type": "integer"}}
_ERROR_TEXT = {
    400: f"Malformed JSON body, or nested deeper than {MAX_DEPTH} levels",
    401: "Missing, invalid or expired credentials",
    403: "Authenticated but not allowed",
    404: "No such object in this tenant",
    409: "Conflicts with the current state",
    413: f"The body is larger than {API_MAX_BODY_BYTES // 1024} KiB",
    422: "Invalid fields, listed in `errors`",
    429: "Rate limited: by Payymo (`limit`, `key`, `rate` and `reset_at` say which limit, "
    "counted per what, and until when) or by the provider; see Retry-After",
    502: "The provider answered something unusable",
    503: "The provider cannot be reached; try again later",
}


def build_openapi(*, server_url: str = "/") -> dict[str, Any]:
    """The whole document; it reflects every endpoint registered so far."""
    schemas, refs = _component_schemas()
    paths: dict[str, dict[str, Any]] = {}
    for ep in sorted(ENDPOINTS, key=lambda e: (e.openapi_path, e.method)):
        paths.setdefault(ep.openapi_path, {})[ep.method.lower()] = _operation(ep, refs, schemas)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Payymo API",
            "version": __version__,
            "description": "Payment reconciliation for web-hosting companies. Money is a "
            "decimal string with its ISO currency; dates are ISO 8601; errors are "
            "application/problem+json.",
        },
        "servers": [{"url": server_url}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An access token from POST /api/v1/auth/login, or an API "
                    "key (pym_...).",
                }
            },
        },
    }


def _component_schemas() -> tuple[dict[str, Any], dict[Any, Any]]:
    wanted: set[tuple[type[BaseModel], str]] = {(Problem, "serialization")}
    for ep in ENDPOINTS:
        wanted.update((m, "validation") for m in (ep.query, ep.body) if m is not None)
        if ep.response is not None:
            wanted.add((ep.response, "serialization"))
    ordered = sorted(wanted, key=lambda item: (item[0].__name__, item[1]))
    refs, top = models_json_schema(ordered, ref_template=REF)  # type: ignore[arg-type]
    found: dict[Any, Any] = dict(refs)
    return dict(top.get("$defs", {})), found


def _operation(ep: Endpoint, refs: dict[Any, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": ep.name.replace(".", "_"),
        "summary": ep.summary,
        "tags": list(ep.tags),
        "parameters": _path_parameters(ep) + _query_parameters(ep, refs, schemas),
        "responses": {**_success(ep, refs), **_errors(ep)},
        "security": [{"bearerAuth": []}] if ep.permission else [],
    }
    if ep.description:
        operation["description"] = ep.description
    if ep.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": refs[(ep.body, "validation")]}},
        }
    return operation


def _path_parameters(ep: Endpoint) -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": _CONVERTER_SCHEMAS.get(conv, {"type": "string"}),
        }
        for name, conv in ep.path_params.items()
    ]


def _query_parameters(ep: Endpoint, refs: dict[Any, Any], schemas: dict[str, Any]) -> list[Any]:
    if ep.query is None:
        return []
    ref = refs[(ep.query, "validation")]["$ref"].rsplit("/", 1)[-1]
    model_schema = schemas[ref]
    required = set(model_schema.get("required", []))
    return [
        {
            "name": name,
            "in": "query",
            "required": name in required,
            "schema": prop,
            **({"description": prop["description"]} if "description" in prop else {}),
        }
        for name, prop in model_schema.get("properties", {}).items()
    ]


def _success(ep: Endpoint, refs: dict[Any, Any]) -> dict[str, Any]:
    if ep.status == 204:
        return {"204": {"description": "Done"}}
    if ep.response is not None:
        content = {ep.produces: {"schema": refs[(ep.response, "serialization")]}}
    else:
        content = {ep.produces: {"schema": {"type": "string"}}}
    return {str(ep.status): {"description": ep.summary, "content": content}}


def _errors(ep: Endpoint) -> dict[str, Any]:
    codes = {429}
    if ep.permission is not None:
        codes |= {401, 403}
    if ep.limit is Limit.AUTH:
        codes.add(401)  # sign-in failures, spent or unknown tokens
    if ep.upstream:
        codes |= {409, 422, 502, 503}
    codes |= set(ep.errors)
    if ep.path_params:
        codes.add(404)
    if ep.body is not None:
        codes |= {400, 413, 422}
    if ep.query is not None:
        codes.add(422)
    if ep.method in {"POST", "PUT", "PATCH", "DELETE"}:
        codes |= {409, 422}
    problem = {"$ref": REF.format(model="Problem")}
    return {
        str(code): {
            "description": _ERROR_TEXT[code],
            "content": {PROBLEM_MEDIA_TYPE: {"schema": problem}},
        }
        for code in sorted(codes)
    }
