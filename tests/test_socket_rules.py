"""The rules every socket is held to, whichever protocol it speaks: one connection_init,
sent in time, authenticating the socket for good; a bounded number of connections per
account and per client address (SSE streams included); a bounded number of handshakes at
once, the next ones waiting their turn or told to try again later."""

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import websockets
from sqlalchemy.ext.asyncio import AsyncEngine

from gql.realtime.close_codes import CloseCode
from gql.settings import Settings
from subscriptions import metrics
from tests.graphql import person
from tests.live import (
    CHECK_IN_EVENTS,
    WAIT_SECONDS,
    Live,
    metric_total,
    owner_with_goal,
    serving,
    until,
)

PROTOCOLS = ["graphql-transport-ws", "graphql-ws"]


@pytest.fixture(scope="module")
async def live(settings: Settings) -> AsyncIterator[Live]:
    strict = settings.model_copy(
        update={
            "ws_init_timeout_seconds": 0.5,
            "max_connections_per_user": 2,
            "max_connections_per_address": 6,
        }
    )
    async with serving(strict) as running:
        yield running


def connect(address: str, protocol: str) -> Any:
    return websockets.connect(
        f"ws://{address}/graphql", subprotocols=[websockets.Subprotocol(protocol)]
    )


async def send_init(socket: Any, token: str | None) -> None:
    payload = {"authorization": f"Bearer {token}"} if token else {}
    await socket.send(json.dumps({"type": "connection_init", "payload": payload}))


async def init(socket: Any, token: str | None) -> dict[str, Any]:
    await send_init(socket, token)
    reply: dict[str, Any] = json.loads(await asyncio.wait_for(socket.recv(), WAIT_SECONDS))
    return reply


async def sse_subscription(address: str, token: str) -> httpx.Response:
    """The answer to an SSE subscription request refused before it streams."""
    async with httpx.AsyncClient(base_url=f"http://{address}") as http:
        return await http.post(
            "/graphql/stream",
            json={"query": "subscription { sessionEvents { type } }"},
            headers={"authorization": f"Bearer {token}"},
        )


async def closed_with(socket: Any) -> tuple[int, str]:
    try:
        async with asyncio.timeout(WAIT_SECONDS):
            while True:
                await socket.recv()
    except websockets.ConnectionClosed as closed:
        assert closed.rcvd is not None
        return closed.rcvd.code, closed.rcvd.reason
    raise AssertionError("unreachable")


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_second_connection_init_closes_the_socket_with_4429(
    live: Live, engine: AsyncEngine, settings: Settings, protocol: str
) -> None:
    async with engine.begin() as db:
        victim = await person(db, settings)
        attacker = await person(db, settings)
    async with connect(live.address, protocol) as socket:
        assert (await init(socket, attacker.token))["type"] == "connection_ack"
        payload = {"authorization": f"Bearer {victim.token}"}
        await socket.send(json.dumps({"type": "connection_init", "payload": payload}))
        assert (await closed_with(socket))[0] == CloseCode.TOO_MANY_INITS


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_socket_that_never_sends_connection_init_is_closed_with_4408(
    live: Live, protocol: str
) -> None:
    async with connect(live.address, protocol) as socket:
        assert (await closed_with(socket))[0] == CloseCode.INIT_TIMEOUT


async def test_a_legacy_start_message_without_a_query_closes_the_socket_with_4400(
    live: Live,
) -> None:
    async with connect(live.address, "graphql-ws") as socket:
        assert (await init(socket, None))["type"] == "connection_ack"
        await socket.send(json.dumps({"id": "1", "type": "start", "payload": {}}))
        assert (await closed_with(socket))[0] == CloseCode.BAD_REQUEST


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_an_account_holds_at_most_the_configured_number_of_connections(
    live: Live, engine: AsyncEngine, settings: Settings, protocol: str
) -> None:
    async with engine.begin() as db:
        owner = await person(db, settings)
    async with connect(live.address, protocol) as first, connect(live.address, protocol) as second:
        assert (await init(first, owner.token))["type"] == "connection_ack"
        assert (await init(second, owner.token))["type"] == "connection_ack"
        async with connect(live.address, protocol) as third:
            await send_init(third, owner.token)
            code, reason = await closed_with(third)
        assert code == CloseCode.TOO_MANY_CONNECTIONS
        assert "at most 2" in reason
        refused = await sse_subscription(live.address, owner.token)
        assert refused.status_code == 429
        assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    async with connect(live.address, protocol) as again:  # slots are given back
        assert (await init(again, owner.token))["type"] == "connection_ack"


async def test_an_address_holds_at_most_the_configured_number_of_connections(
    live: Live,
) -> None:
    sockets = [connect(live.address, "graphql-transport-ws") for _ in range(6)]
    opened = [await socket.__aenter__() for socket in sockets]
    try:
        async with connect(live.address, "graphql-transport-ws") as seventh:
            code, _ = await closed_with(seventh)
        assert code == CloseCode.TOO_MANY_CONNECTIONS
    finally:
        for socket, _ in zip(sockets, opened, strict=True):
            await socket.__aexit__(None, None, None)


def subscribe_message(protocol: str, query: str, variables: dict[str, Any]) -> str:
    kind = "subscribe" if protocol == "graphql-transport-ws" else "start"
    payload = {"query": query, "variables": variables}
    return json.dumps({"id": "1", "type": kind, "payload": payload})


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_handshakes_beyond_capacity_wait_their_turn_and_beyond_the_queue_try_again_later(
    engine: AsyncEngine, settings: Settings, protocol: str
) -> None:
    owner, goal = await owner_with_goal(engine, settings)
    narrow = settings.model_copy(update={"handshakes_in_flight": 1, "handshake_queue": 1})
    async with (
        serving(narrow) as live,
        connect(live.address, protocol) as first,
        connect(live.address, protocol) as second,
        connect(live.address, protocol) as third,
    ):
        # Admitted, and holding the only slot until a subscription of it is live.
        assert (await init(first, owner.token))["type"] == "connection_ack"
        await send_init(second, owner.token)
        await until(lambda: live.realtime.admission.waiting == 1, "the second one waiting")
        refused = metric_total(metrics.HANDSHAKES_REFUSED)
        await send_init(third, owner.token)
        code, reason = await closed_with(third)
        assert code == CloseCode.TRY_AGAIN_LATER
        assert "try again in" in reason
        assert metric_total(metrics.HANDSHAKES_REFUSED) == refused + 1
        await first.send(subscribe_message(protocol, CHECK_IN_EVENTS, {"goal": str(goal)}))
        reply = json.loads(await asyncio.wait_for(second.recv(), WAIT_SECONDS))
        assert reply["type"] == "connection_ack"


async def test_a_handshake_that_waits_too_long_is_refused_with_a_retry_hint(
    engine: AsyncEngine, settings: Settings
) -> None:
    async with engine.begin() as db:
        owner = await person(db, settings)
    narrow = settings.model_copy(
        update={"handshakes_in_flight": 1, "handshake_queue": 10, "handshake_wait_seconds": 0.3}
    )
    async with serving(narrow) as live:
        async with connect(live.address, "graphql-transport-ws") as first:
            assert (await init(first, owner.token))["type"] == "connection_ack"
            async with connect(live.address, "graphql-transport-ws") as second:
                await send_init(second, owner.token)
                code, _ = await closed_with(second)
            assert code == CloseCode.TRY_AGAIN_LATER
            refused = await sse_subscription(live.address, owner.token)
            assert refused.status_code == 503
            assert int(refused.headers["retry-after"]) >= 1
            assert refused.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
        # The first socket's end gave its slot back.
        async with connect(live.address, "graphql-transport-ws") as again:
            assert (await init(again, owner.token))["type"] == "connection_ack"
