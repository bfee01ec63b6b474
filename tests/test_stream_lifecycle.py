"""A subscription releases everything it holds (hub listeners, Redis channels, account guards,
connection slots, running-subscription gauges) however it ends, over every transport: the
client goes away, the subscription fails, the token expires, the server stops."""

import contextlib
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import redis.asyncio as redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import Message
from starlette.websockets import WebSocket, WebSocketState

from gql.realtime.close_codes import CloseCode
from gql.realtime.shared import Payload
from gql.realtime.sink import Sink
from gql.settings import Settings
from resolvers.tokens import TokenPolicy, issue_access_token
from subscriptions import metrics
from tests.factories import join_with_goal, make_challenge
from tests.graphql import person
from tests.live import (
    CHECK_IN_EVENTS,
    Live,
    insert_check_in,
    log_head,
    metric_total,
    owner_with_goal,
    serving,
    until,
)
from tests.streams import TRANSPORTS

LEADERBOARD = "subscription($id: ID!) { leaderboardUpdates(challengeId: $id) { version } }"


@pytest.fixture(scope="module")
async def live(settings: Settings) -> AsyncIterator[Live]:
    async with serving(settings) as running:
        yield running


def holdings(live: Live) -> dict[str, float]:
    realtime = live.realtime
    return {
        "hub listeners": realtime.hub.listener_count,
        "redis channels": realtime.hub.topic_count,
        "guarded accounts": realtime.accounts.users,
        "connections": realtime.connections.held,
        "running subscriptions": metric_total(metrics.ACTIVE_SUBSCRIPTIONS),
        "group members": metric_total(metrics.GROUP_MEMBERS),
    }


async def released(live: Live, baseline: dict[str, float]) -> None:
    """Waits until what the server holds is back to the baseline."""
    with contextlib.suppress(TimeoutError):
        await until(lambda: holdings(live) == baseline, "holdings back to the baseline")
    assert holdings(live) == baseline


@pytest.mark.parametrize("transport", list(TRANSPORTS))
async def test_a_stream_releases_everything_when_the_client_goes_away(
    live: Live, engine: AsyncEngine, settings: Settings, transport: str
) -> None:
    baseline = holdings(live)
    owner, goal = await owner_with_goal(engine, settings)
    variables = {"after": await log_head(engine), "goal": str(goal)}
    async with TRANSPORTS[transport](live.address, owner.token, CHECK_IN_EVENTS, variables) as s:
        async with engine.begin() as db:
            await insert_check_in(db, owner, goal, mood=2)
        assert (await s.payload())["data"]["checkInEvents"]["checkIn"]["mood"] == 2
        assert holdings(live) != baseline
    await released(live, baseline)


async def test_a_frame_for_a_socket_that_closed_meanwhile_is_dropped_not_raised() -> None:
    # The server closed the socket (shutting down, or ending the account's session) while an
    # event was on its way to the operation: the frame goes nowhere, quietly.
    async def receive() -> Message:
        return {"type": "websocket.disconnect", "code": 1012}

    async def send(message: Message) -> None:
        raise AssertionError("nothing is sent on a closed socket")

    socket = WebSocket({"type": "websocket"}, receive, send)
    socket.application_state = WebSocketState.DISCONNECTED
    sink = Sink("1", "next", None, socket.send_text, is_open=lambda: True)
    await sink.send(Payload.of({"feedEvents": None}))


@pytest.mark.parametrize("transport", list(TRANSPORTS))
async def test_many_quick_connects_and_disconnects_leave_nothing_behind(
    live: Live, engine: AsyncEngine, settings: Settings, transport: str
) -> None:
    baseline = holdings(live)
    owner, goal = await owner_with_goal(engine, settings)
    variables = {"goal": str(goal)}
    for _ in range(30):
        async with TRANSPORTS[transport](live.address, owner.token, CHECK_IN_EVENTS, variables):
            pass  # gone before (or while) the subscription starts
    await released(live, baseline)


@pytest.mark.parametrize("transport", list(TRANSPORTS))
async def test_a_stream_releases_everything_when_its_token_expires(
    live: Live, engine: AsyncEngine, settings: Settings, transport: str
) -> None:
    baseline = holdings(live)
    owner, goal = await owner_with_goal(engine, settings)
    short = TokenPolicy(
        secret=settings.token_policy.secret,
        access_lifetime=timedelta(seconds=2),
        refresh_lifetime=settings.token_policy.refresh_lifetime,
    )
    token = issue_access_token(user_id=owner.id, policy=short, now=datetime.now(UTC))
    async with TRANSPORTS[transport](
        live.address, token, CHECK_IN_EVENTS, {"goal": str(goal)}
    ) as s:
        assert await s.end_code() == CloseCode.TOKEN_EXPIRED
        await released(live, baseline)


@pytest.mark.parametrize("transport", list(TRANSPORTS))
async def test_a_failing_subscription_releases_what_it_holds_while_the_socket_stays(
    live: Live, engine: AsyncEngine, settings: Settings, transport: str
) -> None:
    async with engine.begin() as db:
        owner = await person(db, settings)
        challenge = await make_challenge(db, owner_id=owner.id)
        await join_with_goal(db, challenge_id=challenge, user_id=owner.id)
    running = metric_total(metrics.ACTIVE_SUBSCRIPTIONS)
    variables = {"id": str(challenge)}
    async with TRANSPORTS[transport](live.address, owner.token, LEADERBOARD, variables) as s:
        assert "data" in await s.payload()
        assert any(str(challenge) in topic for topic in live.realtime.hub.topics)
        async with engine.begin() as db:
            await db.execute(
                text("UPDATE challenges SET deleted_at = now() WHERE id = :c"), {"c": challenge}
            )
        failure = await s.payload()
        assert [e["extensions"]["code"] for e in failure["errors"]] == ["NOT_FOUND"]
        await until(
            lambda: (
                metric_total(metrics.ACTIVE_SUBSCRIPTIONS) == running
                and not any(str(challenge) in topic for topic in live.realtime.hub.topics)
            ),
            "the failed subscription's gauge and topics released",
        )


@pytest.mark.parametrize("transport", list(TRANSPORTS))
async def test_a_server_that_stops_releases_every_stream_and_redis_channel(
    settings: Settings, engine: AsyncEngine, redis_url: str, transport: str
) -> None:
    prefix = f"momentum-stop-{secrets.token_hex(4)}:"
    own = settings.model_copy(update={"redis_prefix": prefix})
    owner, goal = await owner_with_goal(engine, settings)
    variables = {"after": await log_head(engine), "goal": str(goal)}
    gauges = (metric_total(metrics.ACTIVE_SUBSCRIPTIONS), metric_total(metrics.GROUP_MEMBERS))
    async with contextlib.AsyncExitStack() as client:
        stopped = contextlib.AsyncExitStack()
        server = await stopped.enter_async_context(serving(own, graceful_seconds=1))
        stream = await client.enter_async_context(
            TRANSPORTS[transport](server.address, owner.token, CHECK_IN_EVENTS, variables)
        )
        async with engine.begin() as db:
            await insert_check_in(db, owner, goal, mood=4)
        assert (await stream.payload())["data"]["checkInEvents"]["checkIn"]["mood"] == 4
        await stopped.aclose()  # the server stops while the client still listens
        held = holdings(server)
        assert (held.pop("running subscriptions"), held.pop("group members")) == gauges
        assert held == dict.fromkeys(held, 0)
    client_of_redis = redis.Redis.from_url(redis_url)
    try:
        assert await client_of_redis.pubsub_channels(f"{prefix}*") == []
    finally:
        await client_of_redis.aclose()
