"""Session fixtures: one fresh, migrated database per test run, real Redis, the ASGI app."""

import os
import secrets
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import uvloop
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

import migrations
from gql.settings import Environment, Settings
from models.db import create_engine, create_sessionmaker
from resolvers.sample_data import load_sample_data
from tests.databases import database_url_for, fresh_database
from tests.graphql import asgi_client
from tests.services import postgres_server, redis_server

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://root@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def pytest_asyncio_loop_factories(config: pytest.Config, item: pytest.Item) -> dict[str, object]:
    """Tests run on the event loop the server runs on (uvicorn picks uvloop)."""
    return {"uvloop": uvloop.new_event_loop}


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    with postgres_server(POSTGRES_URL) as url:
        yield url


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    with redis_server(REDIS_URL) as url:
        yield url


@pytest.fixture(scope="session")
async def database_url(postgres_admin_url: str) -> AsyncIterator[str]:
    """A database made for this run, migrated to head and holding the sample data."""
    name = f"momentum_test_{os.getpid()}_{secrets.token_hex(3)}"
    async with fresh_database(postgres_admin_url, name):
        url = database_url_for(postgres_admin_url, name)
        engine = create_engine(url, pool_size=1, max_overflow=0)
        await migrations.upgrade(engine)
        async with create_sessionmaker(engine)() as session:
            await load_sample_data(session=session, include_test_users=True)
        await engine.dispose()
        yield url


@pytest.fixture
async def empty_engine(postgres_admin_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on a brand-new empty database of its own, dropped after the test."""
    name = f"momentum_empty_{secrets.token_hex(4)}"
    async with fresh_database(postgres_admin_url, name):
        engine = create_engine(database_url_for(postgres_admin_url, name), pool_size=2)
        yield engine
        await engine.dispose()


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url, pool_size=20, max_overflow=60)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_sessionmaker(engine)


@pytest.fixture
async def rollback_session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session whose writes are all rolled back at the end of the test."""
    async with engine.connect() as connection:
        transaction = await connection.begin()
        session = AsyncSession(bind=connection, join_transaction_mode="create_savepoint")
        try:
            yield session
        finally:
            await session.close()
            await transaction.rollback()


@pytest.fixture(scope="session")
def settings(database_url: str, redis_url: str) -> Settings:
    return Settings(
        env=Environment.TEST,
        database_url=database_url,
        redis_url=redis_url,
        redis_prefix=f"momentum-test-{secrets.token_hex(4)}:",
        # Every test signs up from the same address; the limit itself has its own test.
        rate_limit_signup_ip="10000/3600",
    )


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the app in-process, lifespan included."""
    async with asgi_client(settings) as http:
        yield http
