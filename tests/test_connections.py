"""The connection pool survives connections the server dropped while they were idle."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from models.db import create_engine


async def drop_pooled_connection(engine: AsyncEngine, database_url: str) -> int:
    """Uses the engine's one pooled connection, then has the server end it, as a restart
    would; returns its backend pid."""
    async with engine.connect() as connection:
        pid: int = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
    other = create_engine(database_url, pool_size=1, max_overflow=0)
    try:
        async with other.connect() as killer:
            await killer.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        await other.dispose()
    return pid


async def test_a_connection_dropped_while_idle_is_replaced_before_use(database_url: str) -> None:
    """A restart or failover closes idle pooled connections: the next request still works
    (the idle connection is pinged, found gone and replaced), and no ping is paid when a
    connection is reused at once."""
    engine = create_engine(database_url, pool_size=1, max_overflow=0, ping_after_idle_seconds=0)
    try:
        first = await drop_pooled_connection(engine, database_url)
        async with engine.connect() as connection:
            second = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        assert second != first
    finally:
        await engine.dispose()


async def test_a_connection_reused_at_once_is_not_pinged_and_one_failure_renews_the_pool(
    database_url: str,
) -> None:
    """Within the idle window no ping is paid: a connection dropped in that window fails the
    one statement that finds it gone, and the pool is renewed for the next one."""
    engine = create_engine(database_url, pool_size=1, max_overflow=0, ping_after_idle_seconds=60)
    try:
        await drop_pooled_connection(engine, database_url)
        with pytest.raises(DBAPIError) as failed:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        assert failed.value.connection_invalidated
        async with engine.connect() as connection:
            assert (await connection.execute(text("SELECT 1"))).scalar_one() == 1
    finally:
        await engine.dispose()
