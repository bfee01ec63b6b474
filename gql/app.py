"""The ASGI application: GraphQL at /graphql, liveness at /healthz, readiness at /readyz."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import redis.asyncio as redis
from cross_web import HTTPException
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.types.unset import UNSET, UnsetType

from gql.context import Context, build_context
from gql.fanout import LegacyWSHandler, TransportWSHandler
from gql.health import healthz, metrics_endpoint, readyz_endpoint
from gql.instrumentation import SocketCounter
from gql.realtime import Realtime
from gql.request_id import RequestIdMiddleware
from gql.schema import create_schema
from gql.sessions import guarded_socket, start_guard
from gql.settings import Settings
from gql.sse import sse_endpoint
from models.db import create_engine, create_sessionmaker
from resolvers.rate_limits import RateLimiter

log = logging.getLogger(__name__)


class GraphQLApp(GraphQL[Context, None]):
    def __init__(
        self,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        limiter: RateLimiter,
        realtime: Realtime,
        **options: Any,
    ) -> None:
        super().__init__(create_schema(settings), **options)
        if settings.shared_execution:
            self.graphql_transport_ws_handler_class = TransportWSHandler
            self.graphql_ws_handler_class = LegacyWSHandler
        self._sessionmaker = sessionmaker
        self._tokens = settings.token_policy
        self._limiter = limiter
        self._realtime = realtime

    async def get_context(self, request: Request | WebSocket, response: Any = None) -> Context:
        return self.context_for(request, response)

    def context_for(self, request: Request | WebSocket, response: Any = None) -> Context:
        """A fresh context, authenticated by the request's Authorization header (websockets:
        replaced by connection_init's payload in on_ws_connect)."""
        return build_context(
            request=request,
            response=response,
            sessionmaker=self._sessionmaker,
            tokens=self._tokens,
            limiter=self._limiter,
            realtime=self._realtime,
            authorization=request.headers.get("authorization"),
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
            return
        async with guarded_socket():
            await super().__call__(scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        """As Strawberry does, but requests it refuses (bad JSON, unknown operation name...)
        get a GraphQL error with a code, not a plain-text body."""
        request = Request(scope=scope, receive=receive)
        try:
            response = await self.run(request)
        except HTTPException as refused:
            code = "NOT_FOUND" if refused.status_code == 404 else "BAD_USER_INPUT"
            error = {"message": refused.reason, "extensions": {"code": code}}
            response = JSONResponse({"errors": [error]}, status_code=refused.status_code)
        await response(scope, receive, send)

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """Websockets authenticate with `{"authorization": "Bearer ..."}` in connection_init.
        A bad token, or a disabled account, is refused (the protocol's 4403); a good one gets
        a session guard (see gql/sessions.py)."""
        params = context.connection_params or {}
        authorization = params.get("authorization") or params.get("Authorization")
        context.authenticate_with(authorization if isinstance(authorization, str) else None)
        await context.authenticate()
        if context.credentials_error is not None:
            raise ConnectionRejectionError
        start_guard(context)
        unset: UnsetType = UNSET
        return unset


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
    sessionmaker = create_sessionmaker(engine)
    realtime = Realtime(settings, sessionmaker)
    graphql = GraphQLApp(
        settings,
        sessionmaker,
        RateLimiter(redis_client, settings.redis_prefix, settings.rate_limits),
        realtime,
        graphql_ide="graphiql" if settings.graphiql_enabled else None,
        max_subscriptions_per_connection=settings.max_subscriptions_per_socket,
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await realtime.start()
        try:
            yield
        finally:
            await realtime.stop()
            await redis_client.aclose()
            await engine.dispose()

    app = Starlette(
        routes=[
            Route("/healthz", healthz),
            Route(
                "/readyz",
                readyz_endpoint(engine, redis_client, realtime, settings.readiness_timeout_seconds),
            ),
            Route("/metrics", metrics_endpoint(realtime, settings.readiness_timeout_seconds)),
            Route(
                "/graphql/stream",
                sse_endpoint(graphql.schema, graphql.context_for),  # type: ignore[arg-type]
                methods=["POST"],
            ),
            Route("/graphql", graphql),
            WebSocketRoute("/graphql", graphql),
        ],
        middleware=[Middleware(RequestIdMiddleware), Middleware(SocketCounter)],
        lifespan=lifespan,
    )
    app.state.engine = engine
    app.state.realtime = realtime
    return app
