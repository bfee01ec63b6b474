"""GraphQL subscriptions over Server-Sent Events, for clients that cannot hold websockets.

POST /graphql/stream with `Accept: text/event-stream`, `Authorization: Bearer <token>` and a
JSON body {query, variables, operationName}. Each result is an `event: next` whose data is
the GraphQL response; the stream ends with `event: complete`. Resume after a reconnect with
the last cursor as `after`, exactly as over websockets.
"""

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import strawberry
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from strawberry.types import ExecutionResult

from gql.context import Context


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
        result = await schema.subscribe(
            body["query"],
            variable_values=variables if isinstance(variables, dict) else None,
            context_value=make_context(request),
            operation_name=body.get("operationName"),
        )

        async def frames() -> AsyncIterator[str]:
            if isinstance(result, ExecutionResult):
                yield _frame("next", result)
            else:
                async for item in result:
                    yield _frame("next", item)
            yield _frame("complete", None)

        return StreamingResponse(
            frames(),
            media_type="text/event-stream",
            headers={"cache-control": "no-cache", "x-accel-buffering": "no"},
        )

    return stream
