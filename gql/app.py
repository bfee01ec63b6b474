"""The ASGI application: GraphQL at /graphql, liveness at /healthz, readiness at /readyz."""

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import redis.asyncio as redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from gql.context import Context, build_context
from gql.request_id import RequestIdMiddleware
from gql.schema import create_schema
from gql.settings import Settings
from models.db import create_engine, create_sessionmaker
from resolvers.rate_limits import RateLimiter

log = logging.getLogger(__name__)


class GraphQLApp(GraphQL[Context, None]):
    def __init__(
        self,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        limiter: RateLimiter,
        **options: Any,
    ) -> None:
        super().__init__(create_schema(settings), **options)
        self._sessionmaker = sessionmaker
        self._tokens = settings.token_policy
        self._limiter = limiter

    async def get_context(self, request: Request | WebSocket, response: Any = None) -> Context:
        return build_context(
            request=request,
            response=response,
            sessionmaker=self._sessionmaker,
            tokens=self._tokens,
            limiter=self._limiter,
            authorization=request.headers.get("authorization"),
        )


async def healthz(request: Request) -> JSONResponse:
    """Liveness: the process answers. Dependencies are /readyz's business."""
    return JSONResponse({"status": "ok"})


async def _postgres_ready(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


async def _redis_ready(client: "redis.Redis") -> None:
    await client.ping()


async def _check(name: str, probe: Awaitable[None], seconds: float) -> str:
    try:
        await asyncio.wait_for(probe, seconds)
    except Exception as error:  # any failure means not ready; the reason goes to the log
        log.warning("readiness: %s unavailable: %r", name, error)
        return f"unavailable ({type(error).__name__})"
    return "ok"


def readyz_endpoint(
    engine: AsyncEngine, client: "redis.Redis", timeout: float
) -> Callable[[Request], Awaitable[JSONResponse]]:
    async def readyz(request: Request) -> JSONResponse:
        """Readiness: Postgres and Redis both answer within the timeout, else 503."""
        postgres, redis_state = await asyncio.gather(
            _check("postgres", _postgres_ready(engine), timeout),
            _check("redis", _redis_ready(client), timeout),
        )
        ready = postgres == "ok" and redis_state == "ok"
        body = {
            "status": "ok" if ready else "unavailable",
            "checks": {"postgres": postgres, "redis": redis_state},
        }
        return JSONResponse(body, status_code=200 if ready else 503)

    return readyz


def create_app(settings: Settings) -> Starlette:
    """Builds the app for the configured (or already started embedded) Postgres and Redis."""
    if settings.database_url is None or settings.redis_url is None:
        raise ValueError("create_app needs database_url and redis_url (start embedded first)")
    engine = create_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
    )
    redis_client = redis.Redis.from_url(
        settings.redis_url,
        socket_connect_timeout=settings.readiness_timeout_seconds,
        socket_timeout=settings.readiness_timeout_seconds,
    )
    graphql = GraphQLApp(
        settings,
        create_sessionmaker(engine),
        RateLimiter(redis_client, settings.redis_prefix, settings.rate_limits),
        graphql_ide="graphiql" if settings.graphiql_enabled else None,
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await redis_client.aclose()
            await engine.dispose()

    app = Starlette(
        routes=[
            Route("/healthz", healthz),
            Route(
                "/readyz",
                readyz_endpoint(engine, redis_client, settings.readiness_timeout_seconds),
            ),
            Route("/graphql", graphql),
            WebSocketRoute("/graphql", graphql),
        ],
        middleware=[Middleware(RequestIdMiddleware)],
        lifespan=lifespan,
    )
    app.state.engine = engine
    return app
