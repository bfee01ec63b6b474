"""The connection pool survives connections the server dropped while they were idle."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from models.db import create_engine


async def test_a_connection_dropped_while_idle_is_replaced_before_use(database_url: str) -> None:
    """A restart or failover closes idle pooled connections: the next request still works
    (the idle connection is pinged, found gone and replaced), and no ping is paid when a
    connection is reused at once."""
    engine = create_engine(database_url, pool_size=1, max_overflow=0, ping_after_idle_seconds=0)
    other = create_engine(database_url, pool_size=1, max_overflow=0)
    try:
        async with engine.connect() as connection:
            first = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        async with other.connect() as killer:
            await killer.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        async with engine.connect() as connection:
            second = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        assert second != first
    finally:
        await engine.dispose()
        await other.dispose()


async def test_a_connection_reused_at_once_is_not_pinged_and_one_failure_renews_the_pool(
    database_url: str,
) -> None:
    """Within the idle window no ping is paid: a connection dropped in that window fails the
    one statement that finds it gone, and the pool is renewed for the next one."""
    engine = create_engine(database_url, pool_size=1, max_overflow=0, ping_after_idle_seconds=60)
    other = create_engine(database_url, pool_size=1, max_overflow=0)
    try:
        async with engine.connect() as connection:
            first = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        async with other.connect() as killer:
            await killer.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        with pytest.raises(DBAPIError) as failed:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        assert failed.value.connection_invalidated
        async with engine.connect() as connection:
            assert (await connection.execute(text("SELECT 1"))).scalar_one() == 1
    finally:
        await engine.dispose()
        await other.dispose()
