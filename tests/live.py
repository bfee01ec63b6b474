"""Live servers and websocket clients for realtime tests."""

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import uvicorn
import websockets
from prometheus_client.metrics import MetricWrapperBase
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from starlette.applications import Starlette

from gql.app import create_app
from gql.realtime.state import Realtime
from gql.settings import Settings
from tests.graphql import Person, person
from tests.processes import free_port

WAIT_SECONDS = 10.0


def metric_total(metric: MetricWrapperBase) -> float:
    """A Prometheus metric's value summed over its labels."""
    return sum(sample.value for family in metric.collect() for sample in family.samples)


async def until(condition: Callable[[], bool | Awaitable[bool]], what: str) -> None:
    """Waits up to WAIT_SECONDS for a state the server exposes no event for (gauges, counts,
    an answer that changes), looking every 20 ms."""
    async with asyncio.timeout(WAIT_SECONDS):
        while True:
            reached = condition()
            if reached if isinstance(reached, bool) else await reached:
                return
            await asyncio.sleep(0.02)
    raise AssertionError(what)


@dataclass(frozen=True)
class Live:
    address: str
    app: Starlette

    @property
    def realtime(self) -> Realtime:
        realtime: Realtime = self.app.state.realtime
        return realtime


@contextlib.asynccontextmanager
async def live_server(settings: Settings) -> AsyncIterator[str]:
    """Serves the app with uvicorn in this event loop; yields its address (host:port)."""
    async with serving(settings) as live:
        yield live.address


@contextlib.asynccontextmanager
async def serving(settings: Settings, *, graceful_seconds: int = 10) -> AsyncIterator[Live]:
    """Serves the app with uvicorn in this event loop (on exit, open HTTP streams get
    graceful_seconds to end, as `momentum serve` gives them 10)."""
    port = free_port()
    app = create_app(settings)
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        ws="websockets-sansio",
        log_level="warning",
        lifespan="on",
        timeout_graceful_shutdown=graceful_seconds,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    async with asyncio.timeout(WAIT_SECONDS):
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.02)
    try:
        yield Live(f"127.0.0.1:{port}", app)
    finally:
        server.should_exit = True
        await task


class TransportWsClient:
    """A graphql-transport-ws client: connection_init, subscribe, next."""

    def __init__(self, socket: Any) -> None:
        self.socket = socket

    @classmethod
    @contextlib.asynccontextmanager
    async def connect(
        cls, address: str, token: str | None = None
    ) -> AsyncIterator["TransportWsClient"]:
        async with websockets.connect(
            f"ws://{address}/graphql", subprotocols=[websockets.Subprotocol("graphql-transport-ws")]
        ) as socket:
            payload = {"authorization": f"Bearer {token}"} if token else {}
            await socket.send(json.dumps({"type": "connection_init", "payload": payload}))
            ack = json.loads(await asyncio.wait_for(socket.recv(), WAIT_SECONDS))
            assert ack["type"] == "connection_ack", ack
            yield cls(socket)

    async def subscribe(self, query: str, variables: dict[str, Any] | None = None) -> str:
        operation_id = uuid.uuid4().hex
        await self.socket.send(
            json.dumps(
                {
                    "id": operation_id,
                    "type": "subscribe",
                    "payload": {"query": query, "variables": variables or {}},
                }
            )
        )
        return operation_id

    async def message(self) -> dict[str, Any]:
        """The next protocol message other than ping/pong, within WAIT_SECONDS."""
        while True:
            message: dict[str, Any] = json.loads(
                await asyncio.wait_for(self.socket.recv(), WAIT_SECONDS)
            )
            if message["type"] == "ping":
                await self.socket.send(json.dumps({"type": "pong"}))
                continue
            if message["type"] != "pong":
                return message

    async def next_data(self) -> dict[str, Any]:
        """The next event's data, past READY signals (see `ready`)."""
        while True:
            message = await self.message()
            assert message["type"] == "next", message
            assert "errors" not in message["payload"], message
            data: dict[str, Any] = message["payload"]["data"]
            if not is_ready(data):
                return data

    async def ready(self) -> str | None:
        """Waits for the READY signal of the subscription; its cursor (if selected)."""
        message = await self.message()
        assert message["type"] == "next", message
        data = message["payload"]["data"]
        assert is_ready(data), message
        cursor: str | None = next(iter(data.values())).get("cursor")
        return cursor


def is_ready(data: dict[str, Any] | None) -> bool:
    """Whether a subscription result is its READY signal."""
    return data is not None and all(
        isinstance(value, dict) and "READY" in (value.get("type"), value.get("operation"))
        for value in data.values()
    )


CHECK_IN_EVENTS = """
subscription($after: String, $goal: ID) {
  checkInEvents(after: $after, goalId: $goal) {
    cursor type checkInId checkIn { date completed mood }
  }
}
"""


async def log_head(engine: AsyncEngine) -> str:
    async with engine.connect() as db:
        head: str = await db.scalar(
            text(
                "SELECT coalesce((SELECT xid::text || '.' || id FROM realtime_events "
                "WHERE xid < realtime_horizon() "
                "ORDER BY xid DESC, id DESC LIMIT 1), '0.0')"
            )
        )
    return head


async def owner_with_goal(engine: AsyncEngine, settings: Settings) -> tuple[Person, uuid.UUID]:
    async with engine.begin() as db:
        owner = await person(db, settings)
        goal_id: uuid.UUID = await db.scalar(
            text(
                "INSERT INTO goals (user_id, title, frequency) VALUES (:u, 'Run', 'daily') "
                "RETURNING id"
            ),
            {"u": owner.id},
        )
    return owner, goal_id


async def insert_check_in(db: AsyncConnection, owner: Person, goal: uuid.UUID, mood: int) -> None:
    """A check-in written with plain SQL, as a background job would; mood tells them apart."""
    await db.execute(
        text(
            "INSERT INTO check_ins (goal_id, user_id, date, completed, mood) "
            "VALUES (:g, :u, current_date - CAST(:back AS int), true, :mood)"
        ),
        {"g": goal, "u": owner.id, "back": mood, "mood": mood},
    )


async def moods(client: TransportWsClient, count: int) -> list[int]:
    received = []
    for _ in range(count):
        event = (await client.next_data())["checkInEvents"]
        assert event["type"] == "CREATED", event
        received.append(event["checkIn"]["mood"])
    return received


@contextlib.asynccontextmanager
async def subscribed(
    address: str, engine: AsyncEngine, owner: Person, goal: uuid.UUID
) -> AsyncIterator[TransportWsClient]:
    """A client subscribed to the goal's check-in events from the log's current head."""
    head = await log_head(engine)
    async with TransportWsClient.connect(address, owner.token) as client:
        await client.subscribe(CHECK_IN_EVENTS, {"after": head, "goal": str(goal)})
        yield client
