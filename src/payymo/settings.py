"""One typed settings object, read once from the environment and `.env`."""

from __future__ import annotations

import os
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Any

from limits import parse_many
from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

FEATURE_PREFIX = "PAYYMO_FEATURE_"
PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SQLITE_URL = f"sqlite:///{PROJECT_ROOT / 'var' / 'payymo.db'}"

# Well-known keys for development and tests only; production and staging refuse to start
# without their own (see `_require_secrets`).
DEV_SECRET_KEY = "dev-insecure-secret-key-change-me"  # noqa: S105
DEV_ENCRYPTION_KEY = "ZGV2LWluc2VjdXJlLWVuY3J5cHRpb24ta2V5LTAwMDA="

# The simulators' own credentials (src/payymo/sandbox/gocardless): not secrets.
SANDBOX_GOCARDLESS_CREDENTIALS = ("sim-secret-id", "sim-secret-key")

_TRUTHY = {"1", "true", "yes", "on"}
_FALSY = {"0", "false", "no", "off", ""}


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TESTING = "testing"
    STAGING = "staging"
    PRODUCTION = "production"


class EmailBackend(StrEnum):
    CONSOLE = "console"
    SMTP = "smtp"
    MEMORY = "memory"


class SettingsError(Exception):
    """The environment does not describe a runnable configuration."""


class Settings(BaseSettings):
    """Every setting Payymo reads; `.env.example` documents each one."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True
    )

    payymo_env: Environment = Environment.DEVELOPMENT
    secret_key: str = ""
    encryption_keys: str = ""
    database_url: str = ""
    database_migration_url: str = ""
    database_role: str = ""
    database_pool_size: int = Field(default=10, ge=1, le=200)
    redis_url: str = ""
    log_level: str = "INFO"
    host: str = "127.0.0.1"
    port: int = Field(default=5000, ge=1, le=65535)
    web_workers: int = Field(default=2, ge=1, le=64)
    web_threads: int = Field(default=4, ge=1, le=64)
    public_url: str = "http://127.0.0.1:5000"
    cors_origins: str = ""
    trusted_proxies: int = Field(default=0, ge=0, le=5)
    access_token_minutes: int = Field(default=15, ge=1, le=60)
    refresh_token_days: int = Field(default=30, ge=1, le=365)
    # Rates of the API's named limits (api/ratelimit.py), "N/second|minute|hour|day".
    rate_limit_api: str = "600/minute"
    rate_limit_auth: str = "20/minute"
    rate_limit_exports: str = "10/minute"
    rate_limit_reconciliation: str = "10/minute"
    rate_limit_syncs: str = "30/minute"
    rate_limit_connections: str = "10/minute"
    email_backend: EmailBackend | None = None
    email_from: str = "Payymo <no-reply@payymo.local>"
    smtp_host: str = ""
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = True
    http_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    gocardless_base_url: str = "https://bankaccountdata.gocardless.com"
    gocardless_secret_id: str = ""
    gocardless_secret_key: str = ""
    stripe_api_base: str = ""
    bank_sync_overlap_days: int = Field(default=3, ge=0, le=30)
    bank_quota_reserve: int = Field(default=1, ge=0, le=10)
    posting_lease_seconds: int = Field(default=300, ge=1, le=3600)
    tasks_eager: bool | None = None
    task_max_retries: int = Field(default=8, ge=0, le=50)
    task_retry_backoff_seconds: int = Field(default=30, ge=1, le=3600)
    task_retry_backoff_max_seconds: int = Field(default=900, ge=1, le=86400)
    task_visibility_timeout_seconds: int = Field(default=3600, ge=1, le=86400)
    schedule_sync_seconds: int = Field(default=900, ge=5, le=86400)
    schedule_post_seconds: int = Field(default=60, ge=1, le=3600)
    schedule_maintenance_seconds: int = Field(default=3600, ge=10, le=86400)
    backup_hour_utc: int = Field(default=2, ge=0, le=23)
    retention_days: int = Field(default=90, ge=1, le=3650)
    backup_command: str = ""
    sandbox: bool | None = None
    sandbox_state_path: Path | None = None
    features: dict[str, bool] = Field(default_factory=dict)

    @field_validator("log_level")
    @classmethod
    def _known_log_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level

    @field_validator(
        "rate_limit_api",
        "rate_limit_auth",
        "rate_limit_exports",
        "rate_limit_reconciliation",
        "rate_limit_syncs",
        "rate_limit_connections",
    )
    @classmethod
    def _rate(cls, value: str) -> str:
        try:
            parse_many(value)
        except ValueError:
            raise ValueError(
                'must be a rate like "10/minute", or several: "10/minute;100/hour"'
            ) from None
        return value

    @model_validator(mode="before")
    @classmethod
    def _collect_feature_flags(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        flags = dict(_feature_flags_from(_dotenv_values()))
        flags.update(_feature_flags_from(os.environ))
        flags.update(data.get("features") or {})
        return {**data, "features": flags}

    @model_validator(mode="after")
    def _require_secrets(self) -> Settings:
        if not self.is_strict:
            return self
        required = ["secret_key", "encryption_keys", "database_url"]
        if self.effective_email_backend is EmailBackend.SMTP:
            required.append("smtp_host")
        missing = [name.upper() for name in required if not getattr(self, name)]
        if missing:
            raise SettingsError(
                f"PAYYMO_ENV={self.payymo_env.value} requires: {', '.join(missing)} (not set)"
            )
        return self

    @model_validator(mode="after")
    def _refuse_console_email(self) -> Settings:
        # The console backend sends nothing and keeps each message, reset and invitation links
        # included, in a local file: fine for a developer, a leak anywhere else.
        if self.is_strict and self.effective_email_backend is EmailBackend.CONSOLE:
            raise SettingsError(
                f"PAYYMO_ENV={self.payymo_env.value} refuses EMAIL_BACKEND=console "
                "(development only: it sends nothing): use EMAIL_BACKEND=smtp with SMTP_HOST"
            )
        return self

    @property
    def is_strict(self) -> bool:
        """Staging and production run with real secrets only."""
        return self.payymo_env in (Environment.STAGING, Environment.PRODUCTION)

    @property
    def effective_tasks_eager(self) -> bool:
        """Run background tasks in-process (no broker): the default without Redis."""
        return self.tasks_eager if self.tasks_eager is not None else not self.redis_url

    @property
    def effective_email_backend(self) -> EmailBackend:
        """SMTP in staging and production, the console elsewhere, unless EMAIL_BACKEND says."""
        if self.email_backend is not None:
            return self.email_backend
        return EmailBackend.SMTP if self.is_strict else EmailBackend.CONSOLE

    @property
    def sandbox_enabled(self) -> bool:
        """Serve the provider simulators under /sandbox (default: in development only)."""
        if self.sandbox is not None:
            return self.sandbox and not self.is_strict
        return self.payymo_env is Environment.DEVELOPMENT

    @property
    def data_dir(self) -> Path:
        """Where local files live: beside the embedded database, else the project's `var/`."""
        from sqlalchemy.engine import make_url  # noqa: PLC0415 - only the web app asks

        url = make_url(self.effective_database_url)
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            return Path(url.database).parent
        return PROJECT_ROOT / "var"

    @property
    def effective_sandbox_state_path(self) -> Path:
        """Where the simulators keep their state: in the data directory by default."""
        if self.sandbox_state_path is not None:
            return self.sandbox_state_path
        return self.data_dir / "sandbox.pickle"

    @property
    def console_mail_dir(self) -> Path:
        """Where the console email backend writes each whole message (development only)."""
        return self.data_dir / "mail"

    def _sandbox_url(self, provider: str) -> str:
        return f"{self.public_url.rstrip('/')}/sandbox/{provider}"

    @property
    def effective_gocardless_base_url(self) -> str:
        """The simulator's address in sandbox mode unless a URL was configured explicitly."""
        if self.sandbox_enabled and "gocardless_base_url" not in self.model_fields_set:
            return self._sandbox_url("gocardless")
        return self.gocardless_base_url

    @property
    def effective_gocardless_credentials(self) -> tuple[str, str]:
        if self.sandbox_enabled and not self.gocardless_secret_id:
            return SANDBOX_GOCARDLESS_CREDENTIALS
        return self.gocardless_secret_id, self.gocardless_secret_key

    @property
    def effective_stripe_api_base(self) -> str:
        """Empty means Stripe itself; in sandbox mode the simulator unless configured."""
        if self.sandbox_enabled and not self.stripe_api_base:
            return self._sandbox_url("stripe")
        return self.stripe_api_base

    @property
    def cors_origin_list(self) -> list[str]:
        return [o.strip().rstrip("/") for o in self.cors_origins.split(",") if o.strip()]

    @property
    def effective_secret_key(self) -> str:
        return self.secret_key or DEV_SECRET_KEY

    @cached_property
    def effective_encryption_keys(self) -> tuple[str, ...]:
        keys = tuple(k.strip() for k in self.encryption_keys.split(",") if k.strip())
        return keys or (DEV_ENCRYPTION_KEY,)

    @property
    def effective_database_url(self) -> str:
        return self.database_url or DEFAULT_SQLITE_URL

    @property
    def effective_migration_url(self) -> str:
        return self.database_migration_url or self.effective_database_url

    def feature(self, name: str) -> bool:
        """Whether feature flag `PAYYMO_FEATURE_<NAME>` is switched on."""
        return self.features.get(name.lower(), False)


def _feature_flags_from(source: Any) -> dict[str, bool]:
    flags: dict[str, bool] = {}
    for key, raw in source.items():
        if not key.upper().startswith(FEATURE_PREFIX) or raw is None:
            continue
        value = str(raw).strip().lower()
        if value not in _TRUTHY | _FALSY:
            raise SettingsError(f"{key.upper()}={raw!r}: expected one of true/false/1/0/on/off")
        flags[key[len(FEATURE_PREFIX) :].lower()] = value in _TRUTHY
    return flags


def _dotenv_values() -> dict[str, str | None]:
    from dotenv import dotenv_values  # noqa: PLC0415 - pydantic-settings' own dependency

    env_file = Path(".env")
    return dict(dotenv_values(env_file)) if env_file.is_file() else {}


def load_settings(**overrides: Any) -> Settings:
    """Read the settings from the environment, with explicit overrides winning."""
    try:
        return Settings(**overrides)
    except SettingsError:
        raise
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        raise SettingsError(_describe_validation_error(exc)) from exc


def _describe_validation_error(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if not callable(errors):
        return str(exc)
    parts = []
    for err in errors():
        field = ".".join(str(p) for p in err.get("loc", ())) or "settings"
        parts.append(f"{field.upper()}: {err.get('msg')}")
    return "invalid settings: " + "; ".join(parts)
