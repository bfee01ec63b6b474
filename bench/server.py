"""A fresh database and a `momentum serve` process for a benchmark."""

import asyncio
import contextlib
import os
import secrets
import subprocess
import sys
import urllib.request
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

import migrations
from models.db import create_engine

ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://root@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14")


@dataclass(frozen=True)
class Target:
    database_url: str
    redis_url: str
    address: str
    process: "subprocess.Popen[bytes]"


@contextlib.asynccontextmanager
async def fresh_database() -> AsyncIterator[str]:
    """A migrated database of its own, dropped afterwards."""
    name = f"momentum_bench_{secrets.token_hex(3)}"
    admin = await asyncpg.connect(make_url(ADMIN_URL).render_as_string(hide_password=False))
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        engine = create_engine(url, pool_size=1, max_overflow=0)
        await migrations.upgrade(engine)
        await engine.dispose()
        yield url
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def free_port() -> int:
    return 18000 + secrets.randbelow(1000)


@contextlib.asynccontextmanager
async def serving(
    database_url: str,
    *,
    executable: str | None = None,
    port: int | None = None,
    **settings: str,
) -> AsyncIterator[Target]:
    """`momentum serve` on the database (and the benchmark Redis) until the block ends; the
    executable of another installation (an older version) when given."""
    port = port or free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MOMENTUM_")}
    environment |= {
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "MOMENTUM_ENV": "test",
        "MOMENTUM_LOG_LEVEL": "warning",
        "MOMENTUM_REDIS_PREFIX": f"bench-{secrets.token_hex(3)}:",
        "MOMENTUM_MIGRATE_ON_START": "false",
        # Every benchmark client connects from 127.0.0.1.
        "MOMENTUM_MAX_CONNECTIONS_PER_ADDRESS": "1000000",
    } | settings
    process = subprocess.Popen(
        [
            executable or str(Path(sys.executable).with_name("momentum")),
            "serve",
            "--port",
            str(port),
        ],
        env=environment,
    )
    address = f"127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(f"http://{address}/healthz", timeout=1)
                break
            except OSError:
                await asyncio.sleep(0.1)
        yield Target(database_url, REDIS_URL, address, process)
    finally:
        process.terminate()
        process.wait(timeout=30)
