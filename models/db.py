"""Engine and session factories; callers pass the URL in."""

import time
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry

_CHECKED_IN = "momentum_checked_in"


def _with_driver(url: str, driver: str) -> str:
    parsed = make_url(url.replace("postgres://", "postgresql://", 1))
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


def async_url(url: str) -> str:
    """The SQLAlchemy asyncpg form of a postgres:// or postgresql:// URL."""
    return _with_driver(url, "postgresql+asyncpg")


def asyncpg_dsn(url: str) -> str:
    """A plain postgresql:// DSN, for asyncpg itself, from any of our database URLs."""
    return _with_driver(url, "postgresql")


PING_AFTER_IDLE_SECONDS = 1.0


def create_engine(
    url: str,
    *,
    pool_size: int = 10,
    max_overflow: int = 10,
    ping_after_idle_seconds: float = PING_AFTER_IDLE_SECONDS,
) -> AsyncEngine:
    """A connection that sat in the pool longer than `ping_after_idle_seconds` is pinged
    before use, and replaced if the server went away meanwhile (a restart, a failover).
    SQLAlchemy's pool_pre_ping pings at every checkout, and its asyncpg ping is three round
    trips (BEGIN, ping, ROLLBACK), which a request checking out a connection per loader
    batch paid several times over. A connection reused sooner needs none: had the server
    gone away, the request before it would have failed and invalidated the pool."""
    engine = create_async_engine(async_url(url), pool_size=pool_size, max_overflow=max_overflow)

    def ping_if_idle(dbapi_connection: Any, record: ConnectionPoolEntry, proxy: Any) -> None:
        idle = time.monotonic() - record.info.get(_CHECKED_IN, 0.0)
        if idle > ping_after_idle_seconds:
            try:
                dbapi_connection.ping()
            except Exception as gone:
                raise exc.DisconnectionError("the connection went away while idle") from gone

    event.listen(engine.sync_engine.pool, "checkin", _note_checkin)
    event.listen(engine.sync_engine.pool, "checkout", ping_if_idle)
    return engine


def _note_checkin(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    record.info[_CHECKED_IN] = time.monotonic()


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def create_read_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that only read: their statements run outside a transaction. Under READ
    COMMITTED each statement sees its own snapshot either way, and this saves a BEGIN and a
    ROLLBACK round trip around every read (bench feed-query). Never write through one: each
    statement would commit on its own."""
    return async_sessionmaker(
        engine.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False
    )
