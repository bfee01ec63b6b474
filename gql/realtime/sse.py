"""Subscriptions over plain HTTP, for clients that cannot hold websockets: GraphQL over
Server-Sent Events, and the multipart subscription protocol (Apollo Client's HttpLink).

SSE: POST /graphql/stream with `Accept: text/event-stream`, `Authorization: Bearer <token>`
and a JSON body {query, variables, operationName}. Each result is an `event: next` whose
data is the GraphQL response; the stream ends with `event: complete` (a query or mutation:
one `next`, then `complete`). When the account is disabled or signed out or the token
expires the stream ends with an `event: end` frame carrying the websocket close code (4001,
4003, 4002) and a reason, then `complete`.

Multipart: POST /graphql with `Accept: multipart/mixed;subscriptionSpec=1.0`: each result
is a part `{"payload": <response>}` (a first `{}` part tells the client the stream is open);
an ending by the account guard is a part `{"payload": null, "errors": [...]}` whose error
carries `extensions.code` and the close code, then the closing boundary.

Either stream holds a connection of its account and address (the same limits as websockets)
and releases everything it holds however it ends: client gone, error, expiry, server stop.
"""

import asyncio
import contextlib
import json
from collections.abc import AsyncGenerator, Callable
from functools import partial
from typing import Any, Protocol

import strawberry
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send
from strawberry.http.streaming import MultipartSubscriptionTransport
from strawberry.types import ExecutionResult

from gql.context import Context
from gql.realtime.admission import Refused
from gql.realtime.close_codes import CloseCode
from gql.realtime.connection_limits import TooManyConnections
from gql.realtime.endings import end_connection
from gql.realtime.state import Realtime
from gql.refusals import error_response


def result_payload(result: ExecutionResult) -> dict[str, Any]:
    payload: dict[str, Any] = {"data": result.data}
    if result.errors:
        payload["errors"] = [error.formatted for error in result.errors]
    return payload


class Framing(Protocol):
    """How a stream's results are written on the wire."""

    headers: dict[str, str]

    def opening(self) -> str | None: ...

    def next(self, result: ExecutionResult) -> str: ...

    def end(self, code: CloseCode, reason: str) -> str: ...

    def complete(self) -> str: ...

    def heartbeat(self) -> str: ...


class EventStream:
    """GraphQL over SSE (distinct connections mode)."""

    def __init__(self) -> None:
        self.headers = {
            "content-type": "text/event-stream",
            "cache-control": "no-cache",
            "x-accel-buffering": "no",
        }

    def opening(self) -> str | None:
        return None

    def next(self, result: ExecutionResult) -> str:
        return f"event: next\ndata: {json.dumps(result_payload(result))}\n\n"

    def end(self, code: CloseCode, reason: str) -> str:
        data = json.dumps({"code": int(code), "reason": reason})
        return f"event: end\ndata: {data}\n\n"

    def complete(self) -> str:
        return "event: complete\ndata:\n\n"

    def heartbeat(self) -> str:
        return ": ping\n\n"  # an SSE comment: clients skip it


class Multipart:
    """The multipart subscription protocol (`multipart/mixed;subscriptionSpec=1.0`), framed
    as Strawberry's transport frames it."""

    def __init__(self) -> None:
        self._transport = MultipartSubscriptionTransport()
        self.headers = dict(self._transport.headers) | {"cache-control": "no-cache"}

    def opening(self) -> str | None:
        return self._transport.heartbeat_message(json.dumps)

    def next(self, result: ExecutionResult) -> str:
        return self._transport.encode_next(result_payload(result), json.dumps)  # type: ignore[arg-type]

    def end(self, code: CloseCode, reason: str) -> str:
        error = {"message": reason, "extensions": {"code": code.name, "closeCode": int(code)}}
        return self._transport.encode_multipart_data(
            {"payload": None, "errors": [error]}, json.dumps
        )

    def complete(self) -> str:
        return self._transport.encode_complete()

    def heartbeat(self) -> str:
        return self._transport.heartbeat_message(json.dumps)  # an empty `{}` part


def accepts_multipart(accept: str | None) -> bool:
    """Whether a request asks for the multipart subscription protocol."""
    return bool(accept) and MultipartSubscriptionTransport().accepts(accept or "")


async def _frames(
    results: AsyncGenerator[Any, None],
    ending: "asyncio.Future[tuple[CloseCode, str]]",
    framing: Framing,
    heartbeat: float,
) -> AsyncGenerator[str, None]:
    """The stream's frames until it completes or the account guard ends it, with a
    heartbeat after `heartbeat` seconds of silence (proxies close idle connections). The
    next result is awaited in a task of its own so the guard can interrupt the wait; that
    task is cancelled and awaited before the results are closed (closing a generator another
    task is still running raises, and would skip its cleanup)."""
    pending: asyncio.Future[Any] | None = None
    try:
        opening = framing.opening()
        if opening is not None:
            yield opening
        while True:
            pending = asyncio.ensure_future(anext(results))
            while not (pending.done() or ending.done()):
                await asyncio.wait(
                    (pending, ending), timeout=heartbeat, return_when=asyncio.FIRST_COMPLETED
                )
                if not (pending.done() or ending.done()):
                    yield framing.heartbeat()
            if not pending.done():
                yield framing.end(*ending.result())
                break
            try:
                result = pending.result()
            except StopAsyncIteration:
                break
            yield framing.next(result)
        yield framing.complete()
    finally:
        if pending is not None and not pending.done():
            pending.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await pending
        await results.aclose()


class Stream:
    """The streaming response, and everything the stream holds, released when the response
    ends in any way (even before its first frame)."""

    def __init__(
        self,
        frames: AsyncGenerator[str, None],
        held: contextlib.AsyncExitStack,
        headers: dict[str, str],
    ) -> None:
        self._frames = frames
        self._held = held
        self._headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            response = StreamingResponse(self._frames, headers=self._headers)
            await response(scope, receive, send)
        finally:
            await self._frames.aclose()
            await self._held.aclose()


def request_fields(body: object) -> tuple[str, dict[str, Any] | None, str | None] | str:
    """(query, variables, operationName) of a request body, or what is wrong with it."""
    if not isinstance(body, dict) or not isinstance(body.get("query"), str):
        return "the body must be a JSON object with a `query` string"
    variables = body.get("variables")
    if variables is not None and not isinstance(variables, dict):
        return "`variables` must be an object"
    name = body.get("operationName")
    if name is not None and not isinstance(name, str):
        return "`operationName` must be a string"
    return body["query"], variables, name


async def open_stream(
    request: Request,
    schema: strawberry.Schema,
    make_context: Callable[[Request], Context],
    realtime: Realtime,
    framing: Framing,
) -> Response | Stream:
    """A request's operation as a stream of results in the framing given, guarded like a
    websocket (admission, connection limits, the account guard); or the refusal."""
    try:
        body = json.loads(await request.body())
    except (ValueError, RecursionError):
        return error_response(400, "the body must be JSON: {query, variables, operationName}")
    fields = request_fields(body)
    if isinstance(fields, str):
        return error_response(400, fields)
    query, variables, operation_name = fields
    context = make_context(request)
    if context.credentials_error is not None:
        return error_response(401, context.credentials_error.message)
    results = await schema.stream(
        query, variable_values=variables, context_value=context, operation_name=operation_name
    )
    guarded = await hold(context, realtime)
    if isinstance(guarded, Response):
        await results.aclose()
        return guarded
    held, ending = guarded
    heartbeat = realtime.settings.stream_heartbeat_seconds
    return Stream(_frames(results, ending, framing, heartbeat), held, framing.headers)


Ending = asyncio.Future[tuple[CloseCode, str]]


async def hold(
    context: Context, realtime: Realtime
) -> tuple[contextlib.AsyncExitStack, Ending] | Response:
    """What a stream holds, as a websocket would (admission, the connection limits of its
    address and account, the account guard), and the future the guard resolves with the
    close code and reason when it ends the stream; or the refusal."""
    held = contextlib.AsyncExitStack()
    ending: Ending = asyncio.get_running_loop().create_future()

    async def close(code: CloseCode, reason: str) -> None:
        if not ending.done():
            ending.set_result((code, reason))

    try:
        context.admission = await realtime.admission.enter()
        held.callback(context.admitted)
        held.enter_context(realtime.connections.address(context.client_ip))
        if context.viewer_id is not None and context.token_expires_at is not None:
            held.enter_context(realtime.connections.user(context.viewer_id))
            await held.enter_async_context(
                realtime.accounts.guard(
                    context.viewer_id,
                    context.token_expires_at,
                    context.token_session_version,
                    partial(end_connection, context, close=close),
                )
            )
            await context.authenticate()
            if context.credentials_error is not None:
                await held.aclose()
                return error_response(401, context.credentials_error.message)
    except TooManyConnections as refused:
        await held.aclose()
        return error_response(429, refused.message)
    except Refused as busy:
        await held.aclose()
        return error_response(503, str(busy), headers={"Retry-After": str(busy.retry_after)})
    except BaseException:
        await held.aclose()
        raise
    return held, ending
