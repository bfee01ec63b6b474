"""Where a websocket operation's frames go: the seam between the fan-out engine and the
transport.

An event's payload is serialized and encoded once (shared.Payload); for each socket only
`{"id":<operation id>,"type":"next","payload":` is put around it. When the socket can take a
frame at once, the complete websocket frame is written straight to its transport (no task
wake-up, no re-encoding, no per-message bookkeeping of the websocket library); otherwise it
goes through the server's own send, which waits for a slow client.

The direct path is the one place that knows the server's internals (uvicorn's
websockets-sansio protocol: its `transport`, its `writable` event, its connection state).
With any other server, or if those attributes change, `FrameWriter.of` finds no writer and
everything goes through the server's send.
"""

import asyncio
import contextlib
import json
import struct
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from starlette.websockets import WebSocketDisconnect, WebSocketDisconnected
from strawberry.asgi import ASGIWebSocketAdapter
from websockets.protocol import Protocol, State

from gql.instrumentation import TRANSPORT_SEND
from gql.realtime.shared import Payload

TEXT_FRAME = 0x81  # FIN, opcode 1 (text); server frames are not masked


class FrameWriter:
    """Writes complete text frames to a uvicorn websockets-sansio connection's transport."""

    def __init__(self, protocol: Any) -> None:
        self._protocol = protocol

    @classmethod
    def of(cls, send: Any) -> "FrameWriter | None":
        """The writer of the server's send, if it is one this module knows."""
        protocol = getattr(send, "__self__", None)
        if (
            isinstance(getattr(protocol, "writable", None), asyncio.Event)
            and isinstance(getattr(protocol, "transport", None), asyncio.Transport)
            and isinstance(getattr(protocol, "conn", None), Protocol)
        ):
            return cls(protocol)
        return None

    def ready(self) -> bool:
        """Open, and its transport not paused for a slow client."""
        protocol = self._protocol
        return (
            protocol.writable.is_set()
            and protocol.conn.state is State.OPEN
            and not protocol.transport.is_closing()
        )

    def write(self, *parts: bytes) -> None:
        length = sum(len(part) for part in parts)
        if length < 126:
            header = struct.pack("!BB", TEXT_FRAME, length)
        elif length < 65536:
            header = struct.pack("!BBH", TEXT_FRAME, 126, length)
        else:
            header = struct.pack("!BBQ", TEXT_FRAME, 127, length)
        self._protocol.transport.write(b"".join((header, *parts)))


@dataclass(frozen=True)
class Sink:
    """One websocket operation's way out: its id, its protocol's data message type ("next",
    or "data" in legacy graphql-ws), its raw variables, the server's send, and the direct
    frame writer when there is one."""

    operation_id: str
    message_type: str
    variables: dict[str, Any] | None
    send_text: Callable[[str], Awaitable[None]]
    is_open: Callable[[], bool]
    writer: FrameWriter | None = None
    prefix: str = field(init=False)
    prefix_bytes: bytes = field(init=False)

    def __post_init__(self) -> None:
        operation = json.dumps(self.operation_id)
        prefix = f'{{"id":{operation},"type":"{self.message_type}","payload":'
        object.__setattr__(self, "prefix", prefix)
        object.__setattr__(self, "prefix_bytes", prefix.encode())

    def frame(self, payload: Payload) -> str:
        return self.prefix + payload.text + "}"

    def write_at_once(self, payload: Payload) -> bool:
        """Writes the frame straight to the transport if it can take it now; False when it
        cannot (then send it, which waits)."""
        if self.writer is None or not self.writer.ready() or not self.is_open():
            return False
        self.writer.write(self.prefix_bytes, payload.data, b"}")
        return True

    async def send(self, payload: Payload) -> None:
        """Writes the frame, at once if the transport can take it, else waiting for it. A
        socket closing meanwhile drops the frame: its handler ends the operation."""
        if not self.write_at_once(payload) and self.is_open():
            with contextlib.suppress(WebSocketDisconnect, WebSocketDisconnected):
                await self.send_text(self.frame(payload))

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
        writer = FrameWriter.of(adapter.ws.scope.get(TRANSPORT_SEND))
        return cls(operation_id, message_type, variables, adapter.ws.send_text, is_open, writer)


CURRENT_SINK: ContextVar[Sink | None] = ContextVar("momentum_operation_sink", default=None)
