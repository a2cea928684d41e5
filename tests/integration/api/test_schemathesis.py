"""Property-based API conformance: schemathesis fuzzes every operation in the OpenAPI document
(valid and invalid inputs, up to 100 examples each) as a signed-in owner, and every response
must be a non-5xx that matches the documented status codes, content types and schemas.

Operations are read from the endpoint registry, so endpoints added later are fuzzed too.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from payymo.api.registry import ENDPOINTS
from payymo.blueprints import api_blueprints
from payymo.sandbox import gocardless, stripe
from payymo.sandbox.common import SimServer
from tests.integration.api.conftest import build_api, new_member

api_blueprints()  # registers every endpoint before collection reads ENDPOINTS
OPERATIONS = sorted({(e.openapi_path, e.method) for e in ENDPOINTS})
UPSTREAM = {(e.openapi_path, e.method) for e in ENDPOINTS if e.upstream}


def no_unexplained_server_error(ctx: Any, response: Any, case: Any) -> bool | None:
    """5xx fails, except a documented provider failure (502/503) on an endpoint that calls one."""
    upstream = (case.operation.path, case.method.upper()) in UPSTREAM
    if upstream and response.status_code in (502, 503):
        return None
    return not_a_server_error(ctx, response, case)


CHECKS = [
    no_unexplained_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES = 100
REQUESTS: dict[str, int] = {}


@dataclass
class FuzzTarget:
    schema: Any
    headers: dict[str, str]


@pytest.fixture(scope="module")
def target(sqlite_url: str) -> Iterator[FuzzTarget]:
    simulators = [SimServer(gocardless.create_app()), SimServer(stripe.create_app())]
    for simulator in simulators:
        simulator.start()
    api = build_api(
        sqlite_url,
        gocardless_base_url=f"{simulators[0].url}/api/v2",
        gocardless_secret_id="sim-secret-id",
        gocardless_secret_key="sim-secret-key",
        stripe_api_base=simulators[1].url,
    )
    owner = new_member(api)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", api.app)
    yield FuzzTarget(schema, {"Authorization": f"Bearer {owner.login()}"})
    api.services.db.dispose()
    for simulator in simulators:
        simulator.stop()


def _has_inputs(operation: Any) -> bool:
    definition = operation.definition.raw
    return bool(definition.get("parameters") or definition.get("requestBody"))


@pytest.mark.parametrize(("path", "method"), OPERATIONS, ids=[f"{m} {p}" for p, m in OPERATIONS])
def test_operation_conforms_to_its_schema(target: FuzzTarget, path: str, method: str) -> None:
    operation = target.schema[path][method]
    modes = [GenerationMode.POSITIVE]
    if _has_inputs(operation):
        modes.append(GenerationMode.NEGATIVE)
    for mode in modes:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case: Any) -> None:
            REQUESTS[f"{method} {path}"] = REQUESTS.get(f"{method} {path}", 0) + 1
            response = case.call(headers=target.headers)
            case.validate_response(response, checks=CHECKS)

        fuzz()
    assert REQUESTS[f"{method} {path}"] >= 1
