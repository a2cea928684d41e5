"""Structured logging: JSON lines with request and tenant context, no secrets. Servers and
workers log to stdout; the command line logs to stderr, keeping stdout for its results."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog
import structlog.tracebacks

from payymo.masking import mask_tokens

REDACTED = "[redacted]"
# Libraries whose INFO lines repeat what our own log says, or only describe their set-up:
# werkzeug's access log (our request line replaces it), Alembic's plugin set-up and per-step
# chatter (every /readyz), httpx's and the Stripe SDK's line per call (our provider clients log
# each call).
QUIET_LIBRARIES = (
    "werkzeug",
    "alembic.runtime.migration",
    "alembic.runtime.plugins",
    "httpx",
    "httpcore",
    "stripe",
)
_SECRET_KEY_RE = re.compile(
    r"pass(word)?|secret|token|api[_-]?key|authorization|cookie|signature|iban|access[_-]?key",
    re.IGNORECASE,
)
# An IBAN anywhere in a message keeps its country code and last four characters.
_IBAN_RE = re.compile(r"\b([A-Z]{2})\d{2}[A-Z0-9]{7,26}([A-Z0-9]{4})\b")


def _redact_value(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: REDACTED if _is_secret_key(k) else _redact_value(v) for k, v in value.items()}
    if isinstance(value, str):
        return mask_tokens(_IBAN_RE.sub(r"\1**…\2", value))
    return value


def _is_secret_key(key: object) -> bool:
    return isinstance(key, str) and bool(_SECRET_KEY_RE.search(key))


def redact_secrets(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Blank every field whose name suggests a secret; mask IBANs and tokens in free text."""
    for key in list(event_dict):
        if _is_secret_key(key):
            event_dict[key] = REDACTED
        else:
            event_dict[key] = _redact_value(event_dict[key])
    return event_dict


def add_context_keys(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Every line carries request_id and tenant_id, null outside a request or tenant."""
    event_dict.setdefault("request_id", None)
    event_dict.setdefault("tenant_id", None)
    return event_dict


def _shared_processors() -> list[Any]:
    return [
        structlog.contextvars.merge_contextvars,
        add_context_keys,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redact_secrets,
    ]


def json_formatter() -> logging.Formatter:
    """The formatter that renders every log record, ours or a library's, as one JSON line."""
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_shared_processors(),
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            # Frame locals can hold passwords, tokens and SQL parameters: never log them.
            structlog.processors.ExceptionRenderer(
                structlog.tracebacks.ExceptionDictTransformer(show_locals=False)
            ),
            structlog.processors.JSONRenderer(sort_keys=False),
        ],
    )


def configure_logging(level: str = "INFO", *, to_stderr: bool = False) -> None:
    """Send structlog and stdlib logging (werkzeug, gunicorn, alembic) to stdout (or stderr)
    as JSON, below `level` dropped."""
    structlog.configure(
        # Level filtering first: below-level calls then cost almost nothing.
        processors=[
            structlog.stdlib.filter_by_level,
            *_shared_processors(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = StderrHandler() if to_stderr else StdoutHandler()
    handler.setFormatter(json_formatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)


def logging_dict_config(level: str, *, server_level: str | None = None) -> dict[str, Any]:
    """The same setup as a `logging.config.dictConfig` dict, for gunicorn's `logconfig_dict`;
    `server_level` sets gunicorn's own lines apart (default: `level`)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": json_formatter}},
        "handlers": {"stdout": {"class": f"{__name__}.StdoutHandler", "formatter": "json"}},
        "root": {"level": level, "handlers": ["stdout"]},
        "loggers": {
            "gunicorn.error": {"level": server_level or level, "handlers": [], "propagate": True},
            "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
        },
    }


class StdoutHandler(logging.StreamHandler):  # type: ignore[type-arg] # generic only in stubs
    """Writes to whatever `sys.stdout` is at the time (test capture, gunicorn's redirect)."""

    @property
    def stream(self) -> Any:
        return sys.stdout

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


class StderrHandler(StdoutHandler):
    """Writes to whatever `sys.stderr` is at the time (test capture included)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def get_logger(name: str) -> Any:
    """A structlog logger; context (request_id, tenant_id) is merged in automatically."""
    return structlog.stdlib.get_logger(name)


def bind_context(**values: Any) -> None:
    structlog.contextvars.bind_contextvars(**values)


def clear_context() -> None:
    structlog.contextvars.clear_contextvars()
