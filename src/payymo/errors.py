"""Problem details (RFC 9457) for every error Payymo answers with."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "https://payymo.dev/problems/"


@dataclass(frozen=True)
class FieldError:
    """One invalid input field: where it is (dotted path) and what is wrong."""

    field: str
    message: str
    code: str = "invalid"

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message, "code": self.code}


@dataclass(eq=False)
class ProblemError(Exception):
    """An error the API reports as problem+json; subclasses set the stable fields."""

    detail: str = ""
    errors: list[FieldError] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    status = 500
    slug = "internal-error"
    title = "Internal server error"

    def __post_init__(self) -> None:
        super().__init__(self.detail or self.title)

    def to_problem(self, *, instance: str | None = None) -> dict[str, Any]:
        return problem_body(
            status=self.status,
            slug=self.slug,
            title=self.title,
            detail=self.detail or None,
            instance=instance,
            errors=self.errors,
            extra=self.extra,
        )


class BadRequest(ProblemError):
    status, slug, title = 400, "bad-request", "Bad request"


class MalformedJson(ProblemError):
    status, slug, title = 400, "malformed-json", "Malformed JSON body"


class Unauthorized(ProblemError):
    status, slug, title = 401, "unauthorized", "Authentication required"


class Forbidden(ProblemError):
    status, slug, title = 403, "forbidden", "Not allowed"


class NotFound(ProblemError):
    status, slug, title = 404, "not-found", "Not found"


class Conflict(ProblemError):
    status, slug, title = 409, "conflict", "Conflict"


class ContentTooLarge(ProblemError):
    # The slug werkzeug's RequestEntityTooLarge has always had here.
    status, slug, title = 413, "request-entity-too-large", "Content too large"


class MfaRequired(ProblemError):
    status, slug, title = 401, "mfa-required", "A second factor is required"


class MfaInvalid(ProblemError):
    status, slug, title = 401, "mfa-invalid", "The second-factor code is wrong"


class TooManyRequests(ProblemError):
    status, slug, title = 429, "too-many-requests", "Too many requests"


class ValidationFailed(ProblemError):
    status, slug, title = 422, "validation-failed", "Request validation failed"


class ServiceUnavailable(ProblemError):
    status, slug, title = 503, "service-unavailable", "Service unavailable"


def problem_body(
    *,
    status: int,
    slug: str,
    title: str,
    detail: str | None = None,
    instance: str | None = None,
    errors: list[FieldError] | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Build the JSON body of a problem response."""
    body: dict[str, Any] = {"type": PROBLEM_BASE + slug, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = [e.as_dict() for e in errors]
    body.update(extra or {})
    return body


def field_errors_from_pydantic(errors: list[dict[str, Any]]) -> list[FieldError]:
    """Turn pydantic's `ValidationError.errors()` into our field errors."""
    return [
        FieldError(
            field=".".join(str(p) for p in err.get("loc", ())) or "body",
            message=str(err.get("msg", "invalid")),
            code=str(err.get("type", "invalid")),
        )
        for err in errors
    ]
