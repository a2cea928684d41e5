"""Helpers every view uses: the app's services, JSON bodies, problem responses."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, TypeVar

import redis
from flask import Response, current_app, request
from pydantic import BaseModel, ValidationError

from payymo.bodies import API_MAX_BODY_BYTES, parse_json, read_at_most, too_large, unstorable_text
from payymo.clock import Clock, SystemClock
from payymo.crypto import SecretBox
from payymo.db import Database
from payymo.errors import (
    PROBLEM_MEDIA_TYPE,
    FieldError,
    MalformedJson,
    ValidationFailed,
    field_errors_from_pydantic,
)
from payymo.mail import Mailer, make_mailer
from payymo.settings import Settings, SettingsError

ModelT = TypeVar("ModelT", bound=BaseModel)
EXTENSION_KEY = "payymo"


@dataclass
class AppServices:
    """What one application instance holds: its settings and its connections."""

    settings: Settings
    db: Database
    redis: redis.Redis | None
    clock: Clock
    mailer: Mailer
    box: SecretBox


def build_services(
    settings: Settings, *, clock: Clock | None = None, mailer: Mailer | None = None
) -> AppServices:
    """Connect what one process needs; the web app and the CLI build theirs the same way."""
    db = Database(
        settings.effective_database_url,
        role=settings.database_role,
        pool_size=settings.database_pool_size,
    )
    if settings.is_strict and (reason := db.rls_bypass_reason()):
        raise SettingsError(reason)
    redis_client = (
        redis.Redis.from_url(settings.redis_url, socket_timeout=1, socket_connect_timeout=1)
        if settings.redis_url
        else None
    )
    return AppServices(
        settings=settings,
        db=db,
        redis=redis_client,
        clock=clock or SystemClock(),
        mailer=mailer or make_mailer(settings),
        box=SecretBox(settings.effective_encryption_keys),
    )


def preflight(settings: Settings) -> None:
    """What `build_services` refuses, checked without keeping anything open: `payymo serve`
    runs it in the gunicorn master so a bad role is one line there, not a worker failing."""
    db = Database(settings.effective_database_url, role=settings.database_role, pool_size=1)
    try:
        if settings.is_strict and (reason := db.rls_bypass_reason()):
            raise SettingsError(reason)
    finally:
        db.dispose()


def services() -> AppServices:
    """The current application's services (inside a request or app context)."""
    found: AppServices = current_app.extensions[EXTENSION_KEY]
    return found


def json_body(model: type[ModelT]) -> ModelT:
    """Parse the request body as JSON and validate it: 400 if malformed or nested too deep,
    413 if larger than `API_MAX_BODY_BYTES`, 422 with field errors."""
    if not request.is_json:
        raise MalformedJson(detail="expected a JSON body with Content-Type: application/json")
    payload = parse_json(request_body(API_MAX_BODY_BYTES) or b"null")
    if bad := unstorable_text(payload):
        raise ValidationFailed(
            detail="the body has invalid fields",
            errors=[FieldError(bad, "contains a NUL character or an unpaired surrogate")],
        )
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise ValidationFailed(
            detail="the body has invalid fields",
            errors=field_errors_from_pydantic(exc.errors(include_url=False)),  # type: ignore[arg-type]
        ) from None


def request_body(limit: int) -> bytes:
    """The request's body, at most `limit` bytes (413 beyond), with or without Content-Length."""
    if (request.content_length or 0) > limit:
        raise too_large(limit)
    # `request.stream` stops at the Content-Length; without one it is the server's chunked
    # stream, or empty when the server does not say it ends the stream.
    return read_at_most(request.stream, limit)


def problem_response(body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    response = Response(json.dumps(body), status=int(body["status"]), mimetype=PROBLEM_MEDIA_TYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response
