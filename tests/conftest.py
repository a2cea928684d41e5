"""Shared fixtures: settings, and one database per backend (SQLite always, PostgreSQL when up).

PostgreSQL tests are marked `postgres`. Without a server they are skipped with a notice, except
under CI=true, where a missing server fails the run instead.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from payymo import migrate
from payymo.db import Database, make_engine
from payymo.settings import Settings, load_settings

PG_ADMIN_URL = os.environ.get(
    "PAYYMO_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
PG_APP_ROLE = "payymo_app"
# The production layout of docs/operations.md: a schema owner that runs the migrations, and a
# login role in payymo_app for the application. Roles are cluster-wide and shared by every run.
PG_OWNER_LOGIN = "payymo_owner_test"
PG_APP_LOGIN = "payymo_web_test"
_ROLES = (
    f"CREATE ROLE {PG_APP_ROLE} NOLOGIN",
    f"CREATE ROLE {PG_OWNER_LOGIN} LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB NOBYPASSRLS",
    f"CREATE ROLE {PG_APP_LOGIN} LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB NOBYPASSRLS",
)
_ROLES_LOCK = 0x7061_7979_6D6F  # an advisory lock id: concurrent runs create the roles in turn
IN_CI = os.environ.get("CI", "").lower() == "true"

_postgres_error: str | None = None


def _probe_postgres() -> str | None:
    engine = sa.create_engine(PG_ADMIN_URL, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        return str(exc.orig).strip().splitlines()[0]
    finally:
        engine.dispose()
    return None


def pytest_configure(config: pytest.Config) -> None:
    global _postgres_error  # noqa: PLW0603 - probed once per run, read by the hooks below
    _postgres_error = _probe_postgres()


def pytest_report_header(config: pytest.Config) -> list[str]:
    lines = [
        f"PostgreSQL: available ({make_url(PG_ADMIN_URL).host}); postgres suites run"
        if _postgres_error is None
        else f"PostgreSQL: UNAVAILABLE ({_postgres_error}); postgres suites skipped"
    ]
    if real_day := os.environ.get("PAYYMO_TEST_REAL_DAY"):
        lines.append(f"clock: shifted, today is {datetime.now(UTC).date()} (really {real_day})")
    return lines


def require_postgres() -> None:
    """Skip (or, under CI=true, fail) when no PostgreSQL server answers."""
    if _postgres_error is None:
        return
    message = f"PostgreSQL unavailable: {_postgres_error}"
    if IN_CI:
        pytest.fail(f"{message} (CI=true requires it)")
    pytest.skip(message)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    counts: dict[str, int] = {}
    for outcome in ("passed", "failed", "skipped", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            if "postgres" in getattr(report, "keywords", {}) and report.when in ("call", "setup"):
                counts[outcome] = counts.get(outcome, 0) + 1
    summary = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items())) or "none ran"
    terminalreporter.write_line(f"PostgreSQL-backed tests: {summary}")
    fuzz = sys.modules.get("tests.integration.api.test_schemathesis")
    if fuzz is not None and fuzz.REQUESTS:
        requests = fuzz.REQUESTS
        terminalreporter.write_line(
            f"schemathesis: {sum(requests.values())} requests over {len(requests)} operations "
            f"(fewest {min(requests.values())}, most {max(requests.values())} per operation)"
        )


def make_settings(**overrides: Any) -> Settings:
    """Settings for tests: development defaults, nothing read from a developer's `.env`."""
    base: dict[str, Any] = {"payymo_env": "testing", "_env_file": None, "log_level": "WARNING"}
    return load_settings(**{**base, **overrides})


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path: Path = tmp_path_factory.mktemp("sqlite") / "payymo.db"
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    return url


@dataclass(frozen=True)
class PostgresDatabase:
    """One test database and the three ways in: as the application, the owner, the superuser."""

    name: str
    app_url: str  # PG_APP_LOGIN, a member of payymo_app: what DATABASE_URL is in production
    owner_url: str  # PG_OWNER_LOGIN, the schema owner: DATABASE_MIGRATION_URL
    admin_url: str  # the superuser, for what only it may do (pg_dump, ending backends)


def _login_url(role: str, database: str) -> str:
    return (
        make_url(PG_ADMIN_URL)
        .set(username=role, password=None, database=database)
        .render_as_string(hide_password=False)
    )


def ensure_postgres_roles(admin: sa.Engine) -> None:
    """Create the test roles unless they exist; safe while other runs do the same."""
    with admin.connect() as connection:
        connection.execute(sa.text("SELECT pg_advisory_lock(:id)"), {"id": _ROLES_LOCK})
        try:
            for statement in _ROLES:
                try:
                    connection.execute(sa.text(statement))
                except sa.exc.ProgrammingError as exc:
                    # duplicate_object; unique_violation when a run without the lock raced us.
                    if getattr(exc.orig, "sqlstate", None) not in ("42710", "23505"):
                        raise
            connection.execute(sa.text(f"GRANT {PG_APP_ROLE} TO {PG_APP_LOGIN}"))
        finally:
            connection.execute(sa.text("SELECT pg_advisory_unlock(:id)"), {"id": _ROLES_LOCK})


@contextmanager
def fresh_postgres_database(prefix: str) -> Iterator[PostgresDatabase]:
    """A database of its own, named `prefix_…`, owned by PG_OWNER_LOGIN and migrated to head by
    it, as docs/operations.md tells operators to; dropped afterwards."""
    require_postgres()
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    ensure_postgres_roles(admin)
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}" OWNER {PG_OWNER_LOGIN}'))
    database = PostgresDatabase(
        name=name,
        app_url=_login_url(PG_APP_LOGIN, name),
        owner_url=_login_url(PG_OWNER_LOGIN, name),
        admin_url=make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False),
    )
    try:
        migrate.upgrade(database.owner_url)
        yield database
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[PostgresDatabase]:
    """A fresh database for this test run, in the production role layout."""
    with fresh_postgres_database("payymo_test") as database:
        yield database


@pytest.fixture(scope="session")
def postgres_url(postgres_database: PostgresDatabase) -> str:
    """The application's URL: a login role in payymo_app, bound by row-level security."""
    return postgres_database.app_url


@pytest.fixture(scope="session")
def postgres_owner_url(postgres_database: PostgresDatabase) -> str:
    """The schema owner's URL (DATABASE_MIGRATION_URL)."""
    return postgres_database.owner_url


@pytest.fixture(scope="session")
def sqlite_engine(sqlite_url: str) -> Iterator[sa.Engine]:
    engine = make_engine(sqlite_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def postgresql_engine(postgres_url: str) -> Iterator[sa.Engine]:
    """Connects as the application's login role, so row-level security applies."""
    engine = make_engine(postgres_url)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest) -> sa.Engine:
    """Each test using it runs once on SQLite and once on PostgreSQL."""
    found: sa.Engine = request.getfixturevalue(f"{request.param}_engine")
    return found


@pytest.fixture
def db(engine: sa.Engine) -> Iterator[Database]:
    """A Database whose every unit of work is rolled back when the test ends."""
    with engine.connect() as connection:
        transaction = connection.begin()
        try:
            yield Database.bound_to(connection)
        finally:
            transaction.rollback()


REDIS_URL = os.environ.get("PAYYMO_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def require_redis() -> None:
    """Skip (or, under CI=true, fail) when no Redis server answers."""
    import redis  # noqa: PLC0415

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        if IN_CI:
            pytest.fail(f"Redis unavailable: {exc} (CI=true requires it)")
        pytest.skip(f"Redis unavailable: {exc}")


# The security suite (`make security`, `pytest -m security`): the walls of docs/security.md and
# the tests that hold each. Every test of these files is marked `security`.
SECURITY_SUITES = (
    "tests/integration/api/test_access_review.py",
    "tests/integration/api/test_accounts.py",
    "tests/integration/api/test_auth.py",
    "tests/integration/api/test_hostile_input.py",
    "tests/integration/api/test_isolation.py",
    "tests/integration/api/test_rate_limits.py",
    "tests/integration/test_audit_log.py",
    "tests/integration/test_keys.py",
    "tests/integration/test_schema.py",
    "tests/integration/test_tenancy.py",
    "tests/integration/webhooks/test_hostile_bodies.py",
    "tests/integration/webhooks/test_stripe.py",
    "tests/integration/webhooks/test_whmcs.py",
    "tests/integration/webhooks/test_gocardless.py",
    "tests/integration/webhooks/test_production_roles.py",
    "tests/unit/test_bodies.py",
    "tests/unit/test_crypto.py",
    "tests/unit/test_logs.py",
    "tests/unit/test_mail.py",
    "tests/unit/test_signatures.py",
)
ROOT = Path(__file__).resolve().parents[1]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    suites = {ROOT / path for path in SECURITY_SUITES}
    for item in items:
        if item.path in suites:
            item.add_marker(pytest.mark.security)
