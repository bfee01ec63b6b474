"""One subscription through any of the three transports, as a client library would run it:
graphql-transport-ws, legacy graphql-ws, and SSE."""

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from functools import partial
from typing import Any, Protocol

import httpx
import websockets

from tests.live import WAIT_SECONDS, is_ready


class Stream(Protocol):
    async def payload(self) -> dict[str, Any]:
        """The next result (data and/or errors)."""

    async def end_code(self) -> int:
        """Waits until the server ends the stream; its close code (SSE: the end frame's)."""


class WebsocketStream:
    def __init__(self, socket: Any, data_type: str) -> None:
        self._socket = socket
        self._data_type = data_type

    async def payload(self) -> dict[str, Any]:
        async with asyncio.timeout(WAIT_SECONDS):
            while True:
                message = json.loads(await self._socket.recv())
                if message["type"] == "ping":
                    await self._socket.send(json.dumps({"type": "pong"}))
                elif message["type"] in (self._data_type, "error"):
                    payload: dict[str, Any] = message.get("payload") or {}
                    if isinstance(payload, list):  # graphql-transport-ws error: a list
                        payload = {"errors": payload}
                    if not is_ready(payload.get("data")):
                        return payload

    async def end_code(self) -> int:
        try:
            async with asyncio.timeout(WAIT_SECONDS):
                while True:
                    await self._socket.recv()
        except websockets.ConnectionClosed as closed:
            assert closed.rcvd is not None, "the client closed, not the server"
            return closed.rcvd.code
        raise AssertionError("unreachable")


class SseStream:
    def __init__(self, lines: AsyncIterator[str]) -> None:
        self._lines = lines

    async def _event(self) -> tuple[str, str]:
        name = ""
        async with asyncio.timeout(WAIT_SECONDS):
            async for line in self._lines:
                if line.startswith("event: "):
                    name = line.removeprefix("event: ")
                elif line.startswith("data:") and name:
                    return name, line.removeprefix("data:").strip()
        raise AssertionError("the stream ended")

    async def payload(self) -> dict[str, Any]:
        while True:
            name, data = await self._event()
            assert name == "next", (name, data)
            payload: dict[str, Any] = json.loads(data)
            if not is_ready(payload.get("data")):
                return payload

    async def end_code(self) -> int:
        while True:
            name, data = await self._event()
            if name == "end":
                code: int = json.loads(data)["code"]
                return code


@contextlib.asynccontextmanager
async def websocket(
    protocol: str,
    start: str,
    data: str,
    address: str,
    token: str | None,
    query: str,
    variables: dict[str, Any],
) -> AsyncIterator[Stream]:
    """A socket of the protocol, initialised, with one operation started (`start` is the
    protocol's message that starts it, `data` the one that carries results)."""
    async with websockets.connect(
        f"ws://{address}/graphql", subprotocols=[websockets.Subprotocol(protocol)]
    ) as socket:
        payload = {"authorization": f"Bearer {token}"} if token else {}
        await socket.send(json.dumps({"type": "connection_init", "payload": payload}))
        assert json.loads(await asyncio.wait_for(socket.recv(), WAIT_SECONDS))["type"] == (
            "connection_ack"
        )
        operation = {"query": query, "variables": variables}
        await socket.send(json.dumps({"id": "1", "type": start, "payload": operation}))
        yield WebsocketStream(socket, data)


@contextlib.asynccontextmanager
async def sse(
    address: str, token: str | None, query: str, variables: dict[str, Any]
) -> AsyncIterator[Stream]:
    headers = {"accept": "text/event-stream"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    body = {"query": query, "variables": variables}
    async with (
        httpx.AsyncClient(base_url=f"http://{address}", timeout=WAIT_SECONDS) as http,
        http.stream("POST", "/graphql/stream", json=body, headers=headers) as response,
    ):
        assert response.status_code == 200, await response.aread()
        yield SseStream(response.aiter_lines())


Opener = Callable[[str, str | None, str, dict[str, Any]], AbstractAsyncContextManager[Stream]]
TRANSPORTS: dict[str, Opener] = {
    "graphql-transport-ws": partial(websocket, "graphql-transport-ws", "subscribe", "next"),
    "graphql-ws": partial(websocket, "graphql-ws", "start", "data"),
    "sse": sse,
}
