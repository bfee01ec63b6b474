"""The ASGI application: GraphQL at /graphql, liveness at /healthz, readiness at /readyz."""

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any, cast

import redis.asyncio as redis
import strawberry
from cross_web import HTTPException
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from gql import graphiql, http_media
from gql.body_limit import BodyLimit
from gql.context import Context, build_context
from gql.dev_outbox import outbox_endpoint
from gql.health import healthz, metrics_endpoint, readyz_endpoint
from gql.instrumentation import SocketCounter
from gql.realtime.admission import Refused
from gql.realtime.close_codes import CloseCode
from gql.realtime.connection_limits import TooManyConnections
from gql.realtime.sse import Multipart, accepts_multipart, open_stream
from gql.realtime.sse_single import sse_endpoint
from gql.realtime.state import Realtime
from gql.realtime.websockets import (
    SOCKET,
    LegacyWSHandler,
    Refusal,
    TransportWSHandler,
    end_socket,
    socket_scope,
)
from gql.refusals import error_response, refuse_socket
from gql.request_id import RequestIdMiddleware
from gql.schema import create_schema
from gql.security_headers import SecurityHeaders
from gql.settings import Environment, Settings
from models.db import create_engine, create_read_sessionmaker, create_sessionmaker
from resolvers import provider_tokens
from resolvers.rate_limits import RateLimiter

log = logging.getLogger(__name__)


# The client examples of a source checkout, served outside production at /examples/.
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

SUBSCRIPTIONS_OVER_HTTP = (
    "a subscription over HTTP needs `Accept: multipart/mixed;subscriptionSpec=1.0` here, or "
    "POST /graphql/stream with `Accept: text/event-stream`, or a websocket "
    "(graphql-transport-ws) on /graphql"
)


class GraphQLApp(GraphQL[Context, None]):
    graphql_transport_ws_handler_class = TransportWSHandler
    graphql_ws_handler_class = LegacyWSHandler

    def __init__(
        self,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        limiter: RateLimiter,
        realtime: Realtime,
        **options: Any,
    ) -> None:
        super().__init__(create_schema(settings), **options)
        self.connection_init_wait_timeout = timedelta(seconds=settings.ws_init_timeout_seconds)
        self.shared_execution = settings.shared_execution
        self._sessionmaker = sessionmaker
        self._tokens = settings.token_policy
        self._limiter = limiter
        self._realtime = realtime
        self._shows_outbound_mail = settings.env is not Environment.PRODUCTION

    async def get_context(self, request: Request | WebSocket, response: Any = None) -> Context:
        return self.context_for(request, response)

    def context_for(self, request: Request | WebSocket, response: Any = None) -> Context:
        """A fresh context, authenticated by the request's Authorization header (websockets:
        by connection_init's payload, in accept_socket)."""
        return build_context(
            request=request,
            response=response,
            sessionmaker=self._sessionmaker,
            tokens=self._tokens,
            limiter=self._limiter,
            realtime=self._realtime,
            authorization=None
            if isinstance(request, WebSocket)
            else request.headers.get("authorization"),
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
            return
        client = scope.get("client")
        try:
            with self._realtime.connections.address(client[0] if client else None):
                async with socket_scope():
                    await super().__call__(scope, receive, send)
        except TooManyConnections as refused:
            await refuse_socket(scope, receive, send, refused.message)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        """As Strawberry does, but in the media type the client asked for (http_media.py),
        and requests it refuses (bad JSON, bad parameters...) get a GraphQL error with a
        code, not a plain-text body."""
        request = Request(scope=scope, receive=receive)
        accept = request.headers.get("accept")
        media = http_media.negotiate(accept)
        if request.method == "POST" and accepts_multipart(accept):
            schema = cast(strawberry.Schema, self.schema)
            stream = await open_stream(
                request, schema, self.context_for, self._realtime, Multipart()
            )
            await stream(scope, receive, send)
            return
        if request.method == "POST" and await http_media.asks_for_subscription(request):
            await http_media.request_error(SUBSCRIPTIONS_OVER_HTTP, media)(scope, receive, send)
            return
        try:
            response = http_media.in_media(await self.run(request), media)
        except HTTPException as refused:
            if refused.status_code == 400:
                response = http_media.request_error(refused.reason, media)
            else:
                response = error_response(refused.status_code, refused.reason)
        await response(scope, receive, send)

    async def render_graphql_ide(self, request: Request) -> Response:
        """momentum's GraphiQL page, whose assets this server serves (gql/graphiql.py)."""
        return graphiql.page_response()

    def decode_json(self, data: str | bytes) -> object:
        """JSON too deeply nested for the parser is malformed JSON, not a server error."""
        try:
            return json.loads(data)
        except RecursionError:
            raise json.JSONDecodeError("nested too deeply", "", 0) from None

    def parse_json(self, data: str | bytes) -> Any:
        body = super().parse_json(data)
        if not isinstance(body, dict | list):
            raise HTTPException(400, "the body must be a JSON object: {query, variables}")
        return body

    async def parse_http_body(self, request: Any) -> Any:
        """Strawberry's, with the parameters Strawberry lets through checked too (a missing
        query, a non-string operationName), and a body that is not JSON refused with 415."""
        content_type = (request.content_type or "").lower()
        if request.method == "POST" and "application/json" not in content_type:
            raise HTTPException(415, "send the request as application/json")
        data = await super().parse_http_body(request)
        for item in data if isinstance(data, list) else [data]:
            problem = http_media.parameter_problem(item.query, item.operation_name)
            if problem is not None:
                raise HTTPException(400, problem)
        return data

    async def accept_socket(self, context: Context) -> Refusal | None:
        """Admits a socket's handshake (admission.py) and authenticates it from its
        connection_init payload (`{"authorization": "Bearer ..."}`). A signed-in socket takes
        its place in the account's connection limit and gets its account guard before the
        account is read, so a disable landing at any moment after this read still ends it."""
        held = SOCKET.get()
        assert held is not None, "accept_socket runs inside socket_scope"
        try:
            context.admission = await self._realtime.admission.enter()
        except Refused as busy:
            return CloseCode.TRY_AGAIN_LATER, str(busy)
        held.callback(context.admitted)
        params = context.connection_params or {}
        authorization = params.get("authorization") or params.get("Authorization")
        context.authenticate_with(authorization if isinstance(authorization, str) else None)
        if context.credentials_error is not None:
            return CloseCode.FORBIDDEN, "Forbidden"
        if context.viewer_id is None or context.token_expires_at is None:
            return None
        try:
            held.enter_context(self._realtime.connections.user(context.viewer_id))
        except TooManyConnections as refused:
            return CloseCode.TOO_MANY_CONNECTIONS, refused.message
        await held.enter_async_context(
            self._realtime.accounts.guard(
                context.viewer_id,
                context.token_expires_at,
                context.token_session_version,
                partial(end_socket, context),
            )
        )
        await context.authenticate()
        if context.credentials_error is not None:
            return CloseCode.FORBIDDEN, "Forbidden"
        return None


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
    realtime = Realtime(settings, sessionmaker, create_read_sessionmaker(engine))
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
        try:
            if settings.env is Environment.PRODUCTION:
                async with sessionmaker() as session:
                    await provider_tokens.check_keys(session, settings.token_cipher.keys)
            await realtime.start()
            try:
                yield
            finally:
                await realtime.stop()
        finally:
            await redis_client.aclose()
            await engine.dispose()

    app = Starlette(
        routes=[
            Route("/healthz", healthz),
            Route(
                "/readyz",
                readyz_endpoint(engine, redis_client, realtime, settings.readiness_timeout_seconds),
            ),
            *(
                [Route("/metrics", metrics_endpoint(realtime, settings))]
                if settings.metrics_enabled
                else []
            ),
            *(
                [Route("/dev/outbox", outbox_endpoint(sessionmaker))]
                if settings.env is not Environment.PRODUCTION
                else []
            ),
            *(
                [Mount("/examples", StaticFiles(directory=EXAMPLES, html=True))]
                if settings.env is not Environment.PRODUCTION and EXAMPLES.is_dir()
                else []
            ),
            Route(
                "/graphql/stream",
                sse_endpoint(graphql.schema, graphql.context_for, realtime),  # type: ignore[arg-type]
                methods=["POST", "PUT", "GET", "DELETE"],
            ),
            *([Route("/graphiql/{name}", graphiql.asset)] if settings.graphiql_enabled else []),
            Route("/graphql", graphql),
            WebSocketRoute("/graphql", graphql),
        ],
        middleware=[
            Middleware(RequestIdMiddleware),
            Middleware(SecurityHeaders, hsts=settings.env is Environment.PRODUCTION),
            Middleware(BodyLimit, max_bytes=settings.max_body_bytes),
            Middleware(SocketCounter),
        ],
        lifespan=lifespan,
    )
    app.state.engine = engine
    app.state.realtime = realtime
    return app
