"""Sockets end when the account is disabled (FORCE_LOGOUT) or the access token expires,
and the legacy graphql-ws protocol works like graphql-transport-ws."""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
import websockets
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from gql.realtime.close_codes import CloseCode
from gql.settings import Settings
from resolvers.tokens import issue_access_token
from subscriptions.log import Cursor
from tests.live import (
    CHECK_IN_EVENTS,
    WAIT_SECONDS,
    TransportWsClient,
    insert_check_in,
    is_ready,
    live_server,
    log_head,
    owner_with_goal,
    serving,
    until,
)

SESSION_EVENTS = "subscription { sessionEvents { type reason } }"


@pytest.fixture(scope="module")
async def address(settings: Settings) -> AsyncIterator[str]:
    async with live_server(settings) as running:
        yield running


async def close_code(client: TransportWsClient) -> int:
    """Reads until the server closes the socket; returns the close code."""
    try:
        async with asyncio.timeout(WAIT_SECONDS):
            while True:
                await client.socket.recv()
    except websockets.ConnectionClosed as closed:
        assert closed.rcvd is not None
        return closed.rcvd.code
    raise AssertionError("unreachable")


async def test_disabling_a_user_with_plain_sql_logs_out_every_socket(
    address: str, engine: AsyncEngine, settings: Settings
) -> None:
    owner, goal = await owner_with_goal(engine, settings)
    head = await log_head(engine)
    async with (
        TransportWsClient.connect(address, owner.token) as watching,
        TransportWsClient.connect(address, owner.token) as other,
    ):
        await watching.subscribe(SESSION_EVENTS)
        await other.subscribe(CHECK_IN_EVENTS, {"after": head, "goal": str(goal)})
        # A round trip on each socket shows both subscriptions are running.
        async with engine.begin() as db:
            await insert_check_in(db, owner, goal, mood=1)
        assert (await other.next_data())["checkInEvents"]["checkIn"]["mood"] == 1
        async with engine.begin() as db:
            await db.execute(
                text("UPDATE users SET is_active = false WHERE id = :u"), {"u": owner.id}
            )
        event = (await watching.next_data())["sessionEvents"]
        assert event == {"type": "FORCE_LOGOUT", "reason": "account disabled"}
        assert await close_code(watching) == CloseCode.ACCOUNT_DISABLED
        assert await close_code(other) == CloseCode.ACCOUNT_DISABLED

    with pytest.raises(websockets.ConnectionClosed) as refused:
        async with TransportWsClient.connect(address, owner.token):
            pass  # connection_init is answered by a close, not an ack
    assert refused.value.rcvd is not None
    assert refused.value.rcvd.code == 4403


async def test_a_socket_closes_when_its_access_token_expires(
    address: str, engine: AsyncEngine, settings: Settings
) -> None:
    owner, goal = await owner_with_goal(engine, settings)
    short = settings.token_policy.__class__(
        secret=settings.token_policy.secret,
        access_lifetime=timedelta(seconds=2),
        refresh_lifetime=settings.token_policy.refresh_lifetime,
    )
    token = issue_access_token(user_id=owner.id, policy=short, now=datetime.now(UTC))
    async with TransportWsClient.connect(address, token) as client:
        await client.subscribe(CHECK_IN_EVENTS, {"goal": str(goal)})
        assert await close_code(client) == CloseCode.TOKEN_EXPIRED


async def test_the_legacy_graphql_ws_protocol_delivers_events(
    address: str, engine: AsyncEngine, settings: Settings
) -> None:
    owner, goal = await owner_with_goal(engine, settings)
    head = await log_head(engine)
    async with websockets.connect(
        f"ws://{address}/graphql", subprotocols=[websockets.Subprotocol("graphql-ws")]
    ) as socket:
        await socket.send(
            json.dumps(
                {"type": "connection_init", "payload": {"authorization": f"Bearer {owner.token}"}}
            )
        )
        assert json.loads(await socket.recv())["type"] == "connection_ack"
        await socket.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "start",
                    "payload": {
                        "query": CHECK_IN_EVENTS,
                        "variables": {"after": head, "goal": str(goal)},
                    },
                }
            )
        )
        async with engine.begin() as db:
            await insert_check_in(db, owner, goal, mood=4)
        async with asyncio.timeout(WAIT_SECONDS):
            while True:
                message = json.loads(await socket.recv())
                if message["type"] == "data" and not is_ready(message["payload"]["data"]):
                    break
    assert message["payload"]["data"]["checkInEvents"]["checkIn"]["mood"] == 4


async def test_a_socket_runs_at_most_the_configured_number_of_operations(
    engine: AsyncEngine, settings: Settings
) -> None:
    owner, goal = await owner_with_goal(engine, settings)
    limited = settings.model_copy(update={"max_subscriptions_per_socket": 2, "relay": False})
    async with (
        live_server(limited) as running,
        TransportWsClient.connect(running, owner.token) as client,
    ):
        for _ in range(2):
            await client.subscribe(CHECK_IN_EVENTS, {"goal": str(goal)})
        await client.subscribe(CHECK_IN_EVENTS, {"goal": str(goal)})
        refused = await client.message()
    assert refused["type"] == "error"
    assert "limit" in refused["payload"][0]["message"]


async def test_a_forged_token_is_refused_at_connection_init(address: str) -> None:
    forged = jwt.encode(
        {"sub": str(uuid.uuid4()), "iat": 0, "exp": 4_102_444_800, "aud": "momentum"},
        "not-the-server-secret-but-long-enough",
        algorithm="HS256",
    )
    with pytest.raises(websockets.ConnectionClosed) as refused:
        async with TransportWsClient.connect(address, forged):
            pass
    assert refused.value.rcvd is not None
    assert refused.value.rcvd.code == 4403


async def test_anonymous_sockets_may_connect_but_private_streams_are_unauthenticated(
    address: str,
) -> None:
    async with TransportWsClient.connect(address) as client:
        await client.subscribe(SESSION_EVENTS)
        message = await client.message()
    assert message["payload"]["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_another_socket_of_a_signed_in_user_authenticates_without_reading_the_account(
    engine: AsyncEngine, settings: Settings
) -> None:
    """The account guard keeps the user's row as read while it hears no change of it: a
    second socket of the user reads nothing; after a change, the next one reads again."""
    owner, _ = await owner_with_goal(engine, settings)
    head = Cursor.parse(await log_head(engine))
    async with serving(settings) as live:
        hub = live.realtime.hub
        await until(lambda: hub.now is not None and hub.now >= head, "the relay to catch up")
        reads: list[str] = []

        def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            if "FROM users" in statement and "users.password_hash" in statement:
                reads.append(statement)

        sync_engine = live.app.state.engine.sync_engine
        event.listen(sync_engine, "before_cursor_execute", count)
        try:
            async with TransportWsClient.connect(live.address, owner.token) as first:
                await first.subscribe(SESSION_EVENTS)
                assert len(reads) == 1
                async with TransportWsClient.connect(live.address, owner.token) as second:
                    await second.subscribe(SESSION_EVENTS)
                    assert len(reads) == 1  # the second socket read nothing
                async with engine.begin() as db:
                    await db.execute(
                        text("UPDATE users SET bio = 'changed' WHERE id = :u"), {"u": owner.id}
                    )
                await until(
                    lambda: live.realtime.accounts.account(owner.id) is None,
                    "the change to be heard",
                )
                async with TransportWsClient.connect(live.address, owner.token) as third:
                    await third.subscribe(SESSION_EVENTS)
                    assert len(reads) == 2  # read again after the change
        finally:
            event.remove(sync_engine, "before_cursor_execute", count)
