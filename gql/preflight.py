"""Before a command uses Postgres or Redis: can it reach them? If not, one line naming the
variable and the problem, and exit status 2, instead of a driver's traceback."""

import asyncio
import socket
import sys

import asyncpg
import redis.asyncio as redis
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from models.db import create_engine

TIMEOUT_SECONDS = 5.0


def where(url: str) -> str:
    """host:port/database of a URL, without its password."""
    parsed = make_url(url)
    port = f":{parsed.port}" if parsed.port else ""
    database = f"/{parsed.database}" if parsed.database else ""
    return f"{parsed.host or 'localhost'}{port}{database}"


def _reason(error: BaseException) -> str:
    cause = error.__cause__ or error.__context__ or error
    if isinstance(error, DBAPIError | InterfaceError | OperationalError):
        cause = error.orig or cause
    if isinstance(cause, asyncpg.InvalidCatalogNameError) or "does not exist" in str(cause):
        return f"{cause}; create it, or point the variable at one that exists"
    if isinstance(
        cause, asyncpg.InvalidAuthorizationSpecificationError | asyncpg.InvalidPasswordError
    ):
        return f"authentication failed: {cause}"
    if isinstance(cause, socket.gaierror) or isinstance(error, socket.gaierror):
        return "unknown host"
    if isinstance(cause, ConnectionRefusedError) or isinstance(error, ConnectionRefusedError):
        return "connection refused: is the server running and listening there?"
    if isinstance(error, TimeoutError):
        return f"no answer within {TIMEOUT_SECONDS:g} s"
    return str(cause).splitlines()[0] if str(cause) else type(cause).__name__


async def _postgres(url: str) -> None:
    engine = create_engine(url, pool_size=1, max_overflow=0)
    try:
        async with asyncio.timeout(TIMEOUT_SECONDS), engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    finally:
        await engine.dispose()


async def _redis(url: str) -> None:
    client = redis.Redis.from_url(url, socket_connect_timeout=TIMEOUT_SECONDS)
    try:
        async with asyncio.timeout(TIMEOUT_SECONDS):
            await client.ping()
    finally:
        await client.aclose()


def check(database_url: str | None, redis_url: str | None) -> None:
    """Exits with status 2 and one line when the Postgres or Redis of a URL given is
    unreachable (None: not configured, nothing to check)."""
    checks = [("DATABASE_URL", database_url, _postgres), ("REDIS_URL", redis_url, _redis)]
    for variable, url, probe in checks:
        if url is None:
            continue
        try:
            asyncio.run(probe(url))
        except (OSError, TimeoutError, asyncpg.PostgresError, DBAPIError, RedisError) as error:
            print(f"momentum: {variable} ({where(url)}): {_reason(error)}", file=sys.stderr)
            raise SystemExit(2) from None
