"""Requests refused before GraphQL runs, answered as GraphQL errors with a code (HTTP) or
with a close code (websockets)."""

from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from gql.realtime.close_codes import CloseCode

CODES_BY_STATUS = {
    401: "UNAUTHENTICATED",
    404: "NOT_FOUND",
    429: "RATE_LIMITED",
    503: "SERVICE_UNAVAILABLE",
}


def error_response(
    status: int, message: str, *, code: str | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    """`{"errors": [{message, extensions: {code}}]}` with the HTTP status."""
    error = {
        "message": message,
        "extensions": {"code": code or CODES_BY_STATUS.get(status, "BAD_USER_INPUT")},
    }
    return JSONResponse({"errors": [error]}, status_code=status, headers=headers)


async def refuse_socket(scope: Scope, receive: Receive, send: Send, reason: str) -> None:
    """Accepts the websocket (with the client's first subprotocol, which clients require)
    only to close it with TOO_MANY_CONNECTIONS and the reason."""
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    subprotocols = scope.get("subprotocols") or []
    await send(
        {"type": "websocket.accept", "subprotocol": subprotocols[0] if subprotocols else None}
    )
    await send(
        {"type": "websocket.close", "code": CloseCode.TOO_MANY_CONNECTIONS, "reason": reason}
    )
