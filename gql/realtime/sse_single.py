"""GraphQL over SSE, single connection mode (graphql-sse's PROTOCOL.md): one event stream
carries the results of every operation a client runs, for browsers limited to a few
connections per host over HTTP/1.

1. `PUT /graphql/stream` (with `Authorization`) reserves a stream: 201 and a one-time token.
2. `GET /graphql/stream?token=<token>` (or the `X-GraphQL-Event-Stream-Token` header), with
   `Accept: text/event-stream`, opens it, within RESERVATION_SECONDS; one stream per token.
3. `POST /graphql/stream` with the token header, the same `Authorization` as the
   reservation, and `extensions.operationId`: 202; the results arrive on the stream as
   `event: next` with `{"id", "payload"}`, then `event: complete` with `{"id"}`.
4. `DELETE /graphql/stream?operationId=<id>` with the token header stops an operation.

The stream is guarded like a websocket of the reservation's account (limits, account guard:
`event: end` with the close code, then the stream closes) and everything it runs stops when
it closes. Reservations live in the instance that made them: behind a load balancer the
three requests must reach the same instance (sticky sessions), else use distinct
connections mode or a websocket.
"""

import asyncio
import contextlib
import json
import secrets
import time
import uuid
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass, field
from typing import Any

import strawberry
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from gql.context import Context
from gql.realtime.sse import (
    Ending,
    EventStream,
    Stream,
    hold,
    open_stream,
    request_fields,
    result_payload,
)
from gql.realtime.state import Realtime
from gql.refusals import error_response

TOKEN_HEADER = "x-graphql-event-stream-token"  # noqa: S105 (a header's name)
RESERVATION_SECONDS = 30.0
MAX_OPERATIONS = 100


@dataclass(eq=False)
class Reservation:
    authorization: str | None  # what the stream authenticates with (EventSource sends none)
    viewer_id: uuid.UUID | None  # whose stream it is: operations must be theirs
    made: float
    frames: "asyncio.Queue[str]" = field(default_factory=asyncio.Queue)
    operations: dict[str, "asyncio.Task[None]"] = field(default_factory=dict)
    connected: bool = False


class SingleConnections:
    """The reservations of this instance, and the operations running on their streams."""

    def __init__(
        self,
        schema: strawberry.Schema,
        make_context: Callable[[Request], Context],
        realtime: Realtime,
    ) -> None:
        self._schema = schema
        self._make_context = make_context
        self._realtime = realtime
        self._reservations: dict[str, Reservation] = {}

    def _token(self, request: Request) -> str | None:
        return request.headers.get(TOKEN_HEADER) or request.query_params.get("token")

    async def reserve(self, request: Request) -> Response:
        context = self._make_context(request)
        if context.credentials_error is not None:
            return error_response(401, context.credentials_error.message)
        self._forget_unclaimed()
        token = secrets.token_urlsafe(24)
        authorization = request.headers.get("authorization")
        self._reservations[token] = Reservation(authorization, context.viewer_id, time.monotonic())
        return PlainTextResponse(token, status_code=201)

    def _forget_unclaimed(self) -> None:
        deadline = time.monotonic() - RESERVATION_SECONDS
        for token, reservation in list(self._reservations.items()):
            if not reservation.connected and reservation.made < deadline:
                del self._reservations[token]

    async def connect(self, request: Request) -> Response | Stream:
        token = self._token(request)
        reservation = self._reservations.get(token or "")
        if token is None or reservation is None:
            return error_response(404, "no such reservation: PUT /graphql/stream first")
        if reservation.connected:
            return error_response(409, "this reservation already has its stream")
        reservation.connected = True
        context = self._make_context(_with_authorization(request, reservation.authorization))
        guarded = await hold(context, self._realtime)
        if isinstance(guarded, Response):
            del self._reservations[token]
            return guarded
        held, ending = guarded
        context.admitted()  # the stream is open: its handshake is over
        held.callback(self._release, token)
        framing = EventStream()
        return Stream(self._frames(reservation, ending, framing), held, framing.headers)

    async def _frames(
        self, reservation: Reservation, ending: Ending, framing: EventStream
    ) -> AsyncGenerator[str, None]:
        yield ": connected\n\n"
        heartbeat = self._realtime.settings.stream_heartbeat_seconds
        while True:
            frame = asyncio.ensure_future(reservation.frames.get())
            while not (frame.done() or ending.done()):
                await asyncio.wait(
                    (frame, ending), timeout=heartbeat, return_when=asyncio.FIRST_COMPLETED
                )
                if not (frame.done() or ending.done()):
                    yield framing.heartbeat()
            if not frame.done():
                frame.cancel()
                yield framing.end(*ending.result())
                return
            yield frame.result()

    def _release(self, token: str) -> None:
        reservation = self._reservations.pop(token, None)
        if reservation is not None:
            for task in reservation.operations.values():
                task.cancel()

    def _claimed(self, request: Request) -> Reservation | Response:
        """The open stream of the request's token, if the request is its account's (a
        refreshed access token of the same account still is)."""
        reservation = self._reservations.get(self._token(request) or "")
        if reservation is None or not reservation.connected:
            return error_response(404, "no open stream for this token: PUT, then GET it")
        context = self._make_context(request)
        if context.credentials_error is not None:
            return error_response(401, context.credentials_error.message)
        if context.viewer_id != reservation.viewer_id:
            return error_response(403, "this stream belongs to another account")
        return reservation

    async def execute(self, request: Request) -> Response:
        reservation = self._claimed(request)
        if isinstance(reservation, Response):
            return reservation
        try:
            body = json.loads(await request.body())
        except (ValueError, RecursionError):
            return error_response(400, "the body must be JSON: {query, variables, extensions}")
        fields = request_fields(body)
        if isinstance(fields, str):
            return error_response(400, fields)
        extensions = body.get("extensions") if isinstance(body, dict) else None
        operation_id = extensions.get("operationId") if isinstance(extensions, dict) else None
        if not isinstance(operation_id, str) or not operation_id:
            return error_response(400, "`extensions.operationId` must name the operation")
        if operation_id in reservation.operations:
            return error_response(409, "an operation with this id is running")
        if len(reservation.operations) >= MAX_OPERATIONS:
            return error_response(429, f"at most {MAX_OPERATIONS} operations per stream")
        query, variables, operation_name = fields
        context = self._make_context(request)
        results = await self._schema.stream(
            query, variable_values=variables, context_value=context, operation_name=operation_name
        )
        task = asyncio.create_task(self._run(reservation, operation_id, results))
        reservation.operations[operation_id] = task
        return Response(status_code=202)

    async def _run(
        self, reservation: Reservation, operation_id: str, results: AsyncGenerator[Any, None]
    ) -> None:
        try:
            async for result in results:
                data = {"id": operation_id, "payload": result_payload(result)}
                reservation.frames.put_nowait(f"event: next\ndata: {json.dumps(data)}\n\n")
        finally:
            with contextlib.suppress(Exception):
                await results.aclose()
            reservation.operations.pop(operation_id, None)
            done = json.dumps({"id": operation_id})
            reservation.frames.put_nowait(f"event: complete\ndata: {done}\n\n")

    async def stop(self, request: Request) -> Response:
        reservation = self._claimed(request)
        if isinstance(reservation, Response):
            return reservation
        task = reservation.operations.get(request.query_params.get("operationId", ""))
        if task is not None:
            task.cancel()
        return Response(status_code=200)


def _with_authorization(request: Request, authorization: str | None) -> Request:
    """The stream's request as the reservation's sign-in: EventSource cannot send headers,
    so the stream is whoever made the reservation."""
    headers = [(k, v) for k, v in request.scope["headers"] if k != b"authorization"]
    if authorization is not None:
        headers.append((b"authorization", authorization.encode("latin-1")))
    return Request({**request.scope, "headers": headers}, request.receive)


def sse_endpoint(
    schema: strawberry.Schema, make_context: Callable[[Request], Context], realtime: Realtime
) -> Callable[[Request], Any]:
    """/graphql/stream: GraphQL over SSE, distinct connections mode (a POST streams its own
    results) and single connection mode (sse_single.py: PUT, GET, POST with the token,
    DELETE)."""
    from gql.realtime.sse_single import TOKEN_HEADER, SingleConnections

    single = SingleConnections(schema, make_context, realtime)

    async def stream(request: Request) -> Response | Stream:
        if request.method == "PUT":
            return await single.reserve(request)
        if request.method == "GET":
            return await single.connect(request)
        if request.method == "DELETE":
            return await single.stop(request)
        if TOKEN_HEADER in request.headers:
            return await single.execute(request)
        return await open_stream(request, schema, make_context, realtime, EventStream())

    return stream
