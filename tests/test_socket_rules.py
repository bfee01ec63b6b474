"""The rules every socket is held to, whichever protocol it speaks: one connection_init,
sent in time, authenticating the socket for good; a bounded number of connections per
account and per client address (SSE streams included)."""

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
from tests.graphql import person
from tests.live import WAIT_SECONDS, Live, serving

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


async def init(socket: Any, token: str | None) -> dict[str, Any]:
    payload = {"authorization": f"Bearer {token}"} if token else {}
    await socket.send(json.dumps({"type": "connection_init", "payload": payload}))
    reply: dict[str, Any] = json.loads(await asyncio.wait_for(socket.recv(), WAIT_SECONDS))
    return reply


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
            await third.send(
                json.dumps(
                    {
                        "type": "connection_init",
                        "payload": {"authorization": f"Bearer {owner.token}"},
                    }
                )
            )
            code, reason = await closed_with(third)
        assert code == CloseCode.TOO_MANY_CONNECTIONS
        assert "at most 2" in reason
        async with httpx.AsyncClient(base_url=f"http://{live.address}") as http:
            refused = await http.post(
                "/graphql/stream",
                json={"query": "subscription { sessionEvents { type } }"},
                headers={"authorization": f"Bearer {owner.token}"},
            )
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
