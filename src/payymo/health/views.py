"""`/healthz` (liveness, no I/O) and `/readyz` (database and Redis)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from payymo.errors import ServiceUnavailable
from payymo.health.services import readiness
from payymo.http import services

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def healthz() -> Response:
    return jsonify(status="ok")


@blueprint.get("/readyz")
def readyz() -> Response:
    app_services = services()
    checks = readiness(db=app_services.db, redis_client=app_services.redis)
    failing = sorted(name for name, result in checks.items() if result != "ok")
    if failing:
        raise ServiceUnavailable(
            detail=f"not ready: {', '.join(failing)}", extra={"checks": checks}
        )
    return jsonify(status="ok", checks=checks)
