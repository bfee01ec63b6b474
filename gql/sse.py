"""GraphQL subscriptions over Server-Sent Events, for clients that cannot hold websockets.

POST /graphql/stream with `Accept: text/event-stream`, `Authorization: Bearer <token>` and a
JSON body {query, variables, operationName}. Each result is an `event: next` whose data is
the GraphQL response; the stream ends with `event: complete`. Resume after a reconnect with
the last cursor as `after`, exactly as over websockets. When the account is disabled or
the token expires the stream ends with an `event: end` frame carrying the websocket close
code (4001, 4002) and a reason.
"""

import asyncio
import contextlib
import json
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from typing import Any

import strawberry
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from strawberry.types import ExecutionResult

from gql.context import Context
from gql.sessions import guard


def _frame(event: str, result: ExecutionResult | None) -> str:
    if result is None:
        return f"event: {event}\ndata:\n\n"
    payload: dict[str, Any] = {"data": result.data}
    if result.errors:
        payload["errors"] = [error.formatted for error in result.errors]
    return f"event: {event}\ndata: {json.dumps(payload)}\n\n"


def _refused(message: str) -> JSONResponse:
    error = {"message": message, "extensions": {"code": "BAD_USER_INPUT"}}
    return JSONResponse({"errors": [error]}, status_code=400)


async def _guarded(
    context: Context, results: AsyncGenerator[ExecutionResult, None]
) -> AsyncIterator[str]:
    """The stream's frames until it ends, or until the session guard ends it (account
    disabled: an `end` frame with code 4001; token expired: 4002, as websockets' close codes)."""
    ended: asyncio.Queue[tuple[int, str]] = asyncio.Queue()

    async def end(code: int, reason: str) -> None:
        ended.put_nowait((code, reason))

    guard_task = asyncio.create_task(guard(context, end)) if context.viewer_id else None
    waiting_end = asyncio.ensure_future(ended.get())
    try:
        while True:
            following = asyncio.ensure_future(anext(results))
            await asyncio.wait({following, waiting_end}, return_when=asyncio.FIRST_COMPLETED)
            if not following.done():
                following.cancel()
                with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                    await following  # the generator must stop running before aclose()
                code, reason = waiting_end.result()
                yield f"event: end\ndata: {json.dumps({'code': code, 'reason': reason})}\n\n"
                return
            try:
                yield _frame("next", following.result())
            except StopAsyncIteration:
                return
    finally:
        waiting_end.cancel()
        if guard_task is not None:
            guard_task.cancel()
        await results.aclose()


def sse_endpoint(
    schema: strawberry.Schema, make_context: Callable[[Request], Context]
) -> Callable[[Request], Any]:
    async def stream(request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            return _refused("the body must be JSON: {query, variables, operationName}")
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            return _refused("the body must be JSON with a `query` string")
        variables = body.get("variables")
        context = make_context(request)
        result = await schema.subscribe(
            body["query"],
            variable_values=variables if isinstance(variables, dict) else None,
            context_value=context,
            operation_name=body.get("operationName"),
        )

        async def frames() -> AsyncIterator[str]:
            if isinstance(result, ExecutionResult):
                yield _frame("next", result)
            else:
                async for frame in _guarded(context, result):
                    yield frame
            yield _frame("complete", None)

        return StreamingResponse(
            frames(),
            media_type="text/event-stream",
            headers={"cache-control": "no-cache", "x-accel-buffering": "no"},
        )

    return stream
