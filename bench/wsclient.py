"""A minimal graphql-transport-ws client on a raw asyncio protocol, cheap enough that one
process can hold 10,000 subscriptions without becoming the bottleneck it measures.

It speaks just enough RFC 6455: the upgrade, masked text frames out, unmasked frames in,
pong for ping, close. Each socket notes its subscription's READY and counts the other `next`
frames it receives; sampled sockets also keep (receive time, frame) so a benchmark can
compute latencies, and recording sockets keep each event's cursor and post content (to check
that nothing was lost or repeated).
"""

import asyncio
import base64
import json
import os
import re
import struct
import time
from dataclasses import dataclass, field
from typing import Any

TEXT, CLOSE, PING, PONG = 0x1, 0x8, 0x9, 0xA
CURSOR = re.compile(rb'"cursor":"([0-9.]+)"')
CONTENT = re.compile(rb'"content":"([^"]*)"')


def frame(opcode: int, payload: bytes) -> bytes:
    """A client frame: FIN, the opcode, masked with a zero key (XOR is then the identity)."""
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", 0x80 | opcode, 0x80 | length)
    elif length < 65536:
        header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, length)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, length)
    return header + b"\x00\x00\x00\x00" + payload


@dataclass(eq=False)
class Socket(asyncio.Protocol):
    """One connection; `acked` and `ready` are set as the protocol advances."""

    host: str
    keep_frames: bool = False
    record: bool = False
    nexts: int = 0
    frames: list[tuple[float, bytes]] = field(default_factory=list)
    contents: list[str] = field(default_factory=list)  # recording: each event's post content
    cursor: str | None = None  # recording: the newest cursor received (READY's included)
    resyncs: int = 0  # recording: RESYNC events received
    close_code: int | None = None
    close_reason: str = ""
    upgraded: asyncio.Event = field(default_factory=asyncio.Event)
    acked: asyncio.Event = field(default_factory=asyncio.Event)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    first_next: asyncio.Event = field(default_factory=asyncio.Event)  # READY or an event
    closed: asyncio.Event = field(default_factory=asyncio.Event)
    failed: bool = False  # the server refused the subscription or ended it
    _buffer: bytearray = field(default_factory=bytearray)
    _upgraded: bool = False
    _transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        key = base64.b64encode(os.urandom(16)).decode()
        transport.write(
            (
                f"GET /graphql HTTP/1.1\r\nHost: {self.host}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n"
            ).encode()
        )

    def connection_lost(self, exc: Exception | None) -> None:
        self.failed = self.failed or not self.ready.is_set()
        self.closed.set()

    def send(self, message: dict[str, Any]) -> None:
        assert self._transport is not None
        self._transport.write(frame(TEXT, json.dumps(message).encode()))

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if not self._upgraded:
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(self._buffer[: self._buffer.find(b"\r\n")])
            if b" 101 " not in status:  # refused before the upgrade (an HTTP status)
                self.close_reason = status.decode(errors="replace")
                self.close()
                return
            del self._buffer[: end + 4]
            self._upgraded = True
            self.upgraded.set()
        self._frames()

    def _frames(self) -> None:
        buffer = self._buffer
        while len(buffer) >= 2:
            opcode = buffer[0] & 0x0F
            length = buffer[1] & 0x7F
            start = 2
            if length == 126:
                if len(buffer) < 4:
                    return
                (length,) = struct.unpack_from("!H", buffer, 2)
                start = 4
            elif length == 127:
                if len(buffer) < 10:
                    return
                (length,) = struct.unpack_from("!Q", buffer, 2)
                start = 10
            if len(buffer) < start + length:
                return
            payload = bytes(buffer[start : start + length])
            del buffer[: start + length]
            self._handle(opcode, payload)

    def _handle(self, opcode: int, payload: bytes) -> None:
        if opcode == PING:
            assert self._transport is not None
            self._transport.write(frame(PONG, payload))
        elif opcode == CLOSE:
            if len(payload) >= 2:
                (self.close_code,) = struct.unpack_from("!H", payload)
                self.close_reason = payload[2:].decode(errors="replace")
            self.close()
        elif opcode == TEXT:
            if b'"type":"next"' in payload[:200] or b'"type": "next"' in payload[:200]:
                self.first_next.set()
                if self.record:
                    self._record(payload)
                head = payload[:300]
                if b'"type":"READY"' in head or b'"operation":"READY"' in head:
                    self.ready.set()
                    return
                self.nexts += 1
                if self.keep_frames:
                    self.frames.append((time.monotonic(), payload))
            elif b"connection_ack" in payload:
                self.acked.set()
            elif b'"type":"error"' in payload[:200] or b'"type":"complete"' in payload[:200]:
                self.failed = True
            elif b'"type":"ping"' in payload:
                self.send({"type": "pong"})

    def _record(self, payload: bytes) -> None:
        cursor = CURSOR.search(payload)
        if cursor is not None:
            self.cursor = cursor.group(1).decode()
        if b'"type":"RESYNC"' in payload[:300]:
            self.resyncs += 1
        content = CONTENT.search(payload)
        if content is not None:
            self.contents.append(content.group(1).decode())


async def subscribe(
    host: str,
    port: int,
    token: str,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    keep_frames: bool = False,
    record: bool = False,
) -> Socket:
    """A socket that has been acknowledged and has sent its subscription; ConnectionError
    when the server closes it before the acknowledgement (`close_code` says why)."""
    loop = asyncio.get_running_loop()
    _, socket = await loop.create_connection(
        lambda: Socket(f"{host}:{port}", keep_frames, record), host, port
    )
    if await unless_closed(socket, socket.upgraded):
        socket.send({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
    if not await unless_closed(socket, socket.acked):
        raise ConnectionError(f"closed before connection_ack: {socket.close_code}")
    socket.send(
        {"id": "1", "type": "subscribe", "payload": {"query": query, "variables": variables or {}}}
    )
    return socket


async def unless_closed(socket: Socket, event: asyncio.Event) -> bool:
    """Waits for the event unless the connection closes first; whether the event came."""
    waiters = [asyncio.ensure_future(event.wait()), asyncio.ensure_future(socket.closed.wait())]
    await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    for waiter in waiters:
        waiter.cancel()
    return event.is_set()
