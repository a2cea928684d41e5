"""Database engine, sessions and the per-unit-of-work tenant context.

On PostgreSQL every transaction runs `set_config('app.tenant_id', <tenant>, true)` (the
transaction-local `SET LOCAL`), which the row-level security policies read; with no tenant set
they show no rows. The application may connect as a superuser in development: `DATABASE_ROLE`
then makes every connection `SET ROLE` to a role that does not bypass row-level security.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Connection,
    DateTime,
    Engine,
    ForeignKey,
    MetaData,
    create_engine,
    event,
    text,
)
from sqlalchemy import Enum as SAEnum
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    SessionTransaction,
    declared_attr,
    mapped_column,
    sessionmaker,
)
from sqlalchemy.types import TypeDecorator

TENANT_SETTING = "app.tenant_id"
TENANT_INFO_KEY = "tenant_id"
# A pooled connection used this recently is not pinged on checkout (HikariCP's alive-bypass
# window): a ping on every checkout is a round trip on every request.
PING_AFTER_IDLE_SECONDS = 1.0
_IDLE_SINCE_KEY = "payymo_idle_since"

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JsonType = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend (SQLite stores it naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime; Payymo stores aware UTC timestamps only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: dict[Any, Any] = {  # noqa: RUF012 - SQLAlchemy reads it as a class var
        datetime: UTCDateTime(),
        dict[str, Any]: JsonType,
        list[Any]: JsonType,
    }


def is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def make_engine(url: str, *, role: str = "", pool_size: int = 10) -> Engine:
    """Create the engine for `url`; SQLite gets foreign keys, WAL and a busy timeout."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    engine = create_engine(url, pool_size=pool_size, max_overflow=pool_size)
    _ping_idle_connections(engine)
    if role:
        event.listen(engine, "connect", _set_role_on_connect(role))
    return engine


def _ping_idle_connections(engine: Engine) -> None:
    """`pool_pre_ping`, but only for connections idle longer than `PING_AFTER_IDLE_SECONDS`.

    A connection that breaks in use invalidates the whole pool anyway (SQLAlchemy's handling
    of disconnect errors), so a database restart under load costs the requests in flight,
    as it would with a ping on every checkout.
    """
    dialect = engine.dialect

    def checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE_KEY] = time.monotonic()

    def checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get(_IDLE_SINCE_KEY)
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return  # a fresh connection, or one in use a moment ago
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            if dialect.is_disconnect(error, dbapi_connection, None):
                # The pool reconnects and drops every connection older than this one.
                raise sa_exc.InvalidatePoolError(str(error)) from error
            raise

    event.listen(engine, "checkin", checkin)
    event.listen(engine, "checkout", checkout)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not pysqlite, issue BEGIN, so SAVEPOINTs and rollbacks behave (the
    # recipe in SQLAlchemy's SQLite dialect documentation).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    # IMMEDIATE takes the write lock up front: a transaction that reads and then writes can
    # otherwise fail at once with "database is locked" when another one wrote in between.
    # The embedded database trades parallel transactions for that; PostgreSQL is unaffected.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _set_role_on_connect(role: str) -> Any:
    def set_role(dbapi_connection: Any, _record: Any) -> None:
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SELECT set_config('role', %s, false)", (role,))
        dbapi_connection.commit()

    return set_role


def make_session_factory(bind: Engine | Connection, **options: Any) -> sessionmaker[Session]:
    factory = sessionmaker(bind=bind, expire_on_commit=False, autoflush=True, **options)
    event.listen(factory, "after_begin", _apply_tenant_context)
    return factory


def _apply_tenant_context(session: Session, _tx: SessionTransaction, connection: Any) -> None:
    if connection.dialect.name != "postgresql":
        return
    tenant_id = session.info.get(TENANT_INFO_KEY)
    # Runs at the start of every transaction: the driver's SQL skips statement compilation.
    connection.exec_driver_sql(
        "SELECT set_config(%(name)s, %(value)s, true)",
        {"name": TENANT_SETTING, "value": str(tenant_id) if tenant_id else ""},
    )


def set_tenant(session: Session, tenant_id: uuid.UUID | None) -> None:
    """Scope `session` to `tenant_id` (None: no tenant) for this and later transactions."""
    session.info[TENANT_INFO_KEY] = tenant_id
    if session.in_transaction() and is_postgresql(session):
        session.execute(
            text("SELECT set_config(:name, :value, true)"),
            {"name": TENANT_SETTING, "value": str(tenant_id) if tenant_id else ""},
        )


def current_tenant(session: Session) -> uuid.UUID | None:
    value = session.info.get(TENANT_INFO_KEY)
    return value if isinstance(value, uuid.UUID) else None


class Database:
    """The engine and session factory of one application or command."""

    def __init__(self, url: str, *, role: str = "", pool_size: int = 10) -> None:
        self.engine = make_engine(url, role=role, pool_size=pool_size)
        self.sessions = make_session_factory(self.engine)

    @classmethod
    def bound_to(cls, connection: Connection) -> Database:
        """A Database whose units of work are savepoints inside `connection`'s transaction.

        Tests use it to run real service code and roll everything back afterwards.
        """
        database = cls.__new__(cls)
        database.engine = connection.engine
        database.sessions = make_session_factory(
            connection, join_transaction_mode="create_savepoint"
        )
        return database

    @contextmanager
    def unit_of_work(self, tenant_id: uuid.UUID | None = None) -> Iterator[Session]:
        """One use case, one transaction: commit on success, roll back on any error."""
        session = self.sessions()
        set_tenant(session, tenant_id)
        try:
            with session.begin():
                yield session
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()

    def rls_bypass_reason(self) -> str | None:
        """Why row-level security would not apply to this connection's role, or None if it does."""
        if self.engine.dialect.name != "postgresql":
            return None
        with self.engine.connect() as connection:
            row = connection.execute(
                text(
                    "SELECT current_user, rolsuper, rolbypassrls,"
                    " coalesce(pg_has_role(current_user, c.relowner, 'MEMBER'), false) AS owner"
                    " FROM pg_roles LEFT JOIN pg_class c ON c.oid = to_regclass('tenants')"
                    " WHERE rolname = current_user"
                )
            ).one()
        if row.rolsuper or row.rolbypassrls:
            return (
                f"database role {row.current_user!r} bypasses row-level security; connect as a"
                " member of payymo_app or set DATABASE_ROLE=payymo_app"
            )
        if row.owner:
            # The owner reads the tenants table and the webhook lookup past their policies.
            return (
                f"database role {row.current_user!r} owns the schema; keep it for"
                " DATABASE_MIGRATION_URL and connect as a member of payymo_app"
            )
        return None


class IdMixin:
    """A random UUID primary key: not guessable, and safe to expose in URLs."""

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4, sort_order=-20)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow, sort_order=100)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, sort_order=101)


class TenantOwned(IdMixin, TimestampMixin):
    """A row that belongs to exactly one tenant; row-level security keys on `tenant_id`."""

    __tenant_owned__ = True

    @declared_attr
    def tenant_id(cls) -> Mapped[uuid.UUID]:
        return mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), sort_order=-10)


def tenant_owned_tables() -> list[str]:
    """Names of every table that row-level security must cover, in creation order."""
    return [
        table.name
        for table in Base.metadata.sorted_tables
        if "tenant_id" in table.columns and table.name != "tenants"
    ]


def str_enum(enum_cls: type[StrEnum], name: str, length: int = 32) -> SAEnum:
    """A string column limited to `enum_cls` values by a CHECK constraint on every backend."""
    return SAEnum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=length,
        validate_strings=True,
        values_callable=lambda members: [m.value for m in members],
    )
