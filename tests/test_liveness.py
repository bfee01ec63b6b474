"""A subscription is live when it says so: after its READY, every change committed reaches
it, even when many sockets subscribe at once and no client passed a cursor; sockets resuming
at once get exactly what they missed, from shared reads of the log."""

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from gql.settings import Settings
from subscriptions import metrics
from tests.factories import make_post
from tests.graphql import Person, people, sql
from tests.live import (
    CHECK_IN_EVENTS,
    TransportWsClient,
    insert_check_in,
    live_server,
    log_head,
    metric_total,
)

SOCKETS = 60
ACTIVITY = """subscription($post: ID!) {
  postActivity(postId: $post) { cursor type kind comment { content } } }"""


@pytest.fixture(scope="module")
async def address(settings: Settings) -> AsyncIterator[str]:
    async with live_server(settings) as running:
        yield running


async def test_sockets_subscribing_together_to_one_post_all_get_what_follows_their_ready(
    address: str, engine: AsyncEngine, settings: Settings
) -> None:
    viewers = await people(engine, settings, SOCKETS)
    async with engine.begin() as db:
        post = await make_post(db, user_id=viewers[0].id)
    async with contextlib.AsyncExitStack() as stack:
        clients = await asyncio.gather(
            *(
                stack.enter_async_context(TransportWsClient.connect(address, v.token))
                for v in viewers
            )
        )
        for client in clients:
            await client.subscribe(ACTIVITY, {"post": str(post)})
        await asyncio.gather(*(client.ready() for client in clients))
        await sql(
            engine,
            "INSERT INTO comments (post_id, user_id, content) VALUES (:p, :u, 'for everyone')",
            p=post,
            u=viewers[0].id,
        )

        async def comment_seen(client: TransportWsClient) -> str:
            while True:
                event = (await client.next_data())["postActivity"]
                if event["comment"] is not None:
                    content: str = event["comment"]["content"]
                    return content

        assert (
            await asyncio.gather(*(comment_seen(c) for c in clients)) == ["for everyone"] * SOCKETS
        )


async def owners_with_goals(
    engine: AsyncEngine, settings: Settings
) -> tuple[list[Person], list[uuid.UUID]]:
    owners = await people(engine, settings, SOCKETS)
    goals: list[uuid.UUID] = []
    async with engine.begin() as db:
        for owner in owners:
            goals.append(
                await db.scalar(
                    text(
                        "INSERT INTO goals (user_id, title, frequency) VALUES (:u, 'Run', 'daily') "
                        "RETURNING id"
                    ),
                    {"u": owner.id},
                )
            )
    return owners, goals


async def mood(client: TransportWsClient) -> int:
    value: int = (await client.next_data())["checkInEvents"]["checkIn"]["mood"]
    return value


async def test_sockets_subscribing_together_to_their_own_topics_all_get_what_follows_their_ready(
    address: str, engine: AsyncEngine, settings: Settings
) -> None:
    owners, goals = await owners_with_goals(engine, settings)
    async with contextlib.AsyncExitStack() as stack:
        clients = await asyncio.gather(
            *(
                stack.enter_async_context(TransportWsClient.connect(address, o.token))
                for o in owners
            )
        )
        for client, goal in zip(clients, goals, strict=True):
            await client.subscribe(CHECK_IN_EVENTS, {"goal": str(goal)})
        await asyncio.gather(*(client.ready() for client in clients))
        async with engine.begin() as db:
            for owner, goal in zip(owners, goals, strict=True):
                await insert_check_in(db, owner, goal, mood=3)
        assert await asyncio.gather(*(mood(client) for client in clients)) == [3] * SOCKETS


async def test_sockets_resuming_together_share_their_reads_of_the_log(
    address: str, engine: AsyncEngine, settings: Settings
) -> None:
    owners, goals = await owners_with_goals(engine, settings)
    before = await log_head(engine)
    async with engine.begin() as db:
        for owner, goal in zip(owners, goals, strict=True):
            await insert_check_in(db, owner, goal, mood=2)
    reads = metric_total(metrics.LOG_READS)
    async with contextlib.AsyncExitStack() as stack:
        clients = await asyncio.gather(
            *(
                stack.enter_async_context(TransportWsClient.connect(address, o.token))
                for o in owners
            )
        )
        for client, goal in zip(clients, goals, strict=True):
            await client.subscribe(CHECK_IN_EVENTS, {"goal": str(goal), "after": before})
        # Each gets its own missed check-in, then READY, then what follows: exactly once.
        assert await asyncio.gather(*(mood(client) for client in clients)) == [2] * SOCKETS
        async with engine.begin() as db:
            for owner, goal in zip(owners, goals, strict=True):
                await insert_check_in(db, owner, goal, mood=3)
        assert await asyncio.gather(*(mood(client) for client in clients)) == [3] * SOCKETS
    # 60 replays, at most a first read of the log's tail and one read further.
    assert metric_total(metrics.LOG_READS) - reads <= 2
