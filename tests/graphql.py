"""Talking to the GraphQL endpoint the way a client does."""

import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from gql.app import create_app
from gql.settings import Settings
from resolvers.tokens import issue_access_token
from tests.factories import make_user


@contextlib.asynccontextmanager
async def asgi_app(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, AsyncEngine]]:
    """An HTTP client talking in-process to an app built with these settings, lifespan
    included, and the app's engine (to count the statements it sends)."""
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http,
    ):
        yield http, app.state.engine


@contextlib.asynccontextmanager
async def asgi_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_app(settings) as (http, _):
        yield http


def with_rate_limits(settings: Settings, **limits: str) -> Settings:
    """The settings with these limits (`post="3/60"` sets rate_limit_post) and Redis keys of
    their own, so no other test's attempts count."""
    return settings.model_copy(
        update={f"rate_limit_{action}": limit for action, limit in limits.items()}
        | {"redis_prefix": f"{settings.redis_prefix}{uuid.uuid4().hex[:8]}:"}
    )


async def gql(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    token: str | None = None,
) -> dict[str, Any]:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )
    body: dict[str, Any] = response.json()
    return body


def error_codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]


@dataclass(frozen=True)
class Person:
    id: uuid.UUID
    token: str


async def people(engine: AsyncEngine, settings: Settings, count: int) -> list[Person]:
    """That many committed users with tokens."""
    async with engine.begin() as db:
        return [await person(db, settings) for _ in range(count)]


async def sql(engine: AsyncEngine, statement: str, **values: object) -> None:
    """One statement in its own committed transaction, as another writer would."""
    async with engine.begin() as db:
        await db.execute(text(statement), values)


async def person(db: AsyncConnection, settings: Settings, username: str | None = None) -> Person:
    """A committed user and a valid access token for them."""
    user_id = await make_user(db, username=username)
    token = issue_access_token(user_id=user_id, policy=settings.token_policy, now=datetime.now(UTC))
    return Person(user_id, token)


@contextlib.contextmanager
def counting_statements(engine: AsyncEngine) -> Iterator[list[str]]:
    """The SQL statements the engine sends while the block runs."""
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
