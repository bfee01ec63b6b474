"""Engine and session factories; callers pass the URL in."""

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)


def _with_driver(url: str, driver: str) -> str:
    parsed = make_url(url.replace("postgres://", "postgresql://", 1))
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


def async_url(url: str) -> str:
    """The SQLAlchemy asyncpg form of a postgres:// or postgresql:// URL."""
    return _with_driver(url, "postgresql+asyncpg")


def asyncpg_dsn(url: str) -> str:
    """A plain postgresql:// DSN, for asyncpg itself, from any of our database URLs."""
    return _with_driver(url, "postgresql")


def create_engine(url: str, *, pool_size: int = 10, max_overflow: int = 10) -> AsyncEngine:
    return create_async_engine(
        async_url(url),
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_pre_ping=True,
    )


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
