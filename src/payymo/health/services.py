"""Readiness checks: can this instance serve traffic right now?"""

from __future__ import annotations

import redis
from sqlalchemy.exc import SQLAlchemyError

from payymo.db import Database
from payymo.migrate import current_revision, head_revision


def readiness(*, db: Database, redis_client: redis.Redis | None) -> dict[str, str]:
    """Run each dependency check; a value other than "ok" names what failed."""
    checks: dict[str, str] = {}
    try:
        with db.engine.connect() as connection:
            revision = current_revision(connection)
        checks["database"] = "ok"
        head = head_revision()
        checks["migrations"] = "ok" if revision == head else f"failed: at {revision}, head {head}"
    except SQLAlchemyError as exc:
        checks["database"] = f"failed: {type(exc).__name__}"
    if redis_client is not None:
        try:
            redis_client.ping()
            checks["redis"] = "ok"
        except redis.RedisError as exc:
            checks["redis"] = f"failed: {type(exc).__name__}"
    return checks
