"""What every `payymo` command shares: one-line errors and exit codes, settings, the
database, and finding a tenant by slug or id."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from payymo.db import Database
    from payymo.settings import Settings
    from payymo.tenants.models import Tenant

EXIT_FAILURE = 1
EXIT_USAGE = 2


class CliError(click.ClickException):
    """A one-line error and exit code 1; never a traceback."""

    exit_code = EXIT_FAILURE


class CliConfigError(CliError):
    """Bad settings or input files: exit code 2."""

    exit_code = EXIT_USAGE


def one_line_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from sqlalchemy.exc import OperationalError  # noqa: PLC0415

        from payymo.crypto import SecretBoxError  # noqa: PLC0415
        from payymo.errors import ProblemError  # noqa: PLC0415
        from payymo.settings import SettingsError  # noqa: PLC0415

        try:
            return func(*args, **kwargs)
        except SettingsError as exc:
            raise CliConfigError(str(exc)) from None
        except ProblemError as exc:
            fields = "; ".join(f"{e.field}: {e.message}" for e in exc.errors)
            raise CliError(": ".join(p for p in (exc.detail or exc.title, fields) if p)) from None
        except SecretBoxError as exc:
            raise CliConfigError(str(exc)) from None
        except OperationalError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise CliError(f"database unavailable: {reason}") from None

    return wrapper


def load_settings() -> Settings:
    """The settings, with logging set up for a command: JSON lines on stderr from LOG_LEVEL up,
    so that stdout holds only the command's results. Until this runs structlog's default
    prints every event, debug included, on stdout."""
    from payymo.logs import configure_logging  # noqa: PLC0415
    from payymo.settings import load_settings as load  # noqa: PLC0415

    settings = load()
    configure_logging(settings.log_level, to_stderr=True)
    return settings


def database(settings: Settings) -> Database:
    from payymo.db import Database  # noqa: PLC0415

    return Database(
        settings.effective_database_url,
        role=settings.database_role,
        pool_size=settings.database_pool_size,
    )


def resolve_tenant(db: Database, ref: str) -> Tenant:
    from payymo.tenants import repository  # noqa: PLC0415
    from payymo.tenants.services import find_tenant_by_slug  # noqa: PLC0415

    try:
        tenant_id = uuid.UUID(ref)
    except ValueError:
        tenant = find_tenant_by_slug(db, ref)
    else:
        with db.unit_of_work(tenant_id) as session:
            tenant = repository.get(session, tenant_id)
    if tenant is None:
        raise CliError(f"no tenant {ref!r}")
    return tenant


def tenants_named(db: Database, ref: str | None) -> dict[uuid.UUID, str]:
    """The tenant `ref` names (slug or id), or every tenant when it is None: id -> slug."""
    if ref is not None:
        found = resolve_tenant(db, ref)
        return {found.id: found.slug}
    from payymo.tenants import repository  # noqa: PLC0415

    with db.unit_of_work() as session:
        return {tenant.id: tenant.slug for tenant in repository.all_tenants(session)}
