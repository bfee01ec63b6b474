"""Where a websocket operation's frames go: the seam between the fan-out engine and the
transport (the server's own send, and whether its transport can take a frame at once)."""

import asyncio
import json
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from strawberry.asgi import ASGIWebSocketAdapter

from gql.instrumentation import TRANSPORT_SEND


@dataclass(frozen=True)
class Sink:
    """Where a websocket operation's frames go: its id, its protocol's data message type
    ("next" or, in legacy graphql-ws, "data"), its raw variables, and the socket.

    `writable()` is true when a frame can be written at once, without waiting for a slow
    client; `write_now` then writes it through the server's own send (uvicorn's, whose
    `writable` event tells when its transport is paused). Elsewhere writable() is false."""

    operation_id: str
    message_type: str
    variables: dict[str, Any] | None
    send_text: Callable[[str], Awaitable[None]]
    is_open: Callable[[], bool]
    writable: Callable[[], bool] = lambda: False
    write_now: Callable[[str], Awaitable[None]] | None = None
    prefix: str = field(init=False)

    def __post_init__(self) -> None:
        operation = json.dumps(self.operation_id)
        object.__setattr__(
            self, "prefix", f'{{"id":{operation},"type":"{self.message_type}","payload":'
        )

    def frame(self, payload_json: str) -> str:
        return self.prefix + payload_json + "}"

    @classmethod
    def of(
        cls,
        adapter: object,
        operation_id: str,
        message_type: str,
        variables: dict[str, Any] | None,
        is_open: Callable[[], bool],
    ) -> "Sink":
        assert isinstance(adapter, ASGIWebSocketAdapter)
        send = adapter.ws.scope.get(TRANSPORT_SEND)
        ready = getattr(getattr(send, "__self__", None), "writable", None)
        if send is None or not isinstance(ready, asyncio.Event):
            return cls(operation_id, message_type, variables, adapter.ws.send_text, is_open)

        async def write_now(text: str) -> None:
            await send({"type": "websocket.send", "text": text})

        return cls(
            operation_id,
            message_type,
            variables,
            adapter.ws.send_text,
            is_open,
            ready.is_set,
            write_now,
        )


CURRENT_SINK: ContextVar[Sink | None] = ContextVar("momentum_operation_sink", default=None)
