"""Realtime core: captured changes reach subscribers in order, without gaps or duplicates,
through out-of-order commits, resumes, pruning and a terminated relay connection."""

import asyncio
import json
import urllib.parse
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from gql.settings import Settings
from models.db import asyncpg_dsn, create_engine
from subscriptions import log as event_log
from subscriptions.hub import GAP, Subscriber
from subscriptions.relay import APPLICATION_NAME
from tests.live import (
    CHECK_IN_EVENTS,
    TransportWsClient,
    insert_check_in,
    is_ready,
    live_server,
    log_head,
    moods,
    owner_with_goal,
    subscribed,
)


@pytest.fixture(scope="module")
async def address(settings: Settings) -> AsyncIterator[str]:
    async with live_server(settings) as running:
        yield running


async def test_a_row_written_with_plain_sql_reaches_a_graphql_subscriber(
    address: str, engine: AsyncEngine, settings: Settings
) -> None:
    owner, goal = await owner_with_goal(engine, settings)
    head = await log_head(engine)
    async with subscribed(address, engine, owner, goal) as client:
        async with engine.begin() as db:
            await insert_check_in(db, owner, goal, mood=3)
        event = (await client.next_data())["checkInEvents"]
    assert event["type"] == "CREATED"
    assert event["checkIn"]["mood"] == 3
    assert event_log.Cursor.parse(event["cursor"]) > event_log.Cursor.parse(head)


async def test_events_of_transactions_committed_out_of_order_all_arrive_in_log_order(
    address: str, engine: AsyncEngine, settings: Settings
) -> None:
    owner, goal = await owner_with_goal(engine, settings)
    head = await log_head(engine)
    async with subscribed(address, engine, owner, goal) as client:
        async with engine.connect() as first, engine.connect() as second:
            await first.begin()
            await insert_check_in(first, owner, goal, mood=1)  # started first, commits last
            await second.begin()
            await insert_check_in(second, owner, goal, mood=2)
            await second.commit()
            # The log reader must not hand out the later transaction's event yet: the
            # earlier one is still open and would land before it.
            async with engine.connect() as reader:
                raw = await reader.get_raw_connection()
                pending = await event_log.read_after(
                    raw.driver_connection, event_log.Cursor.parse(head), limit=10,
                    topics=[f"goal_id:{goal}"],
                )  # fmt: skip
            assert pending == []
            await first.commit()
        assert await moods(client, 2) == [1, 2]


async def test_resuming_after_a_cursor_replays_what_was_missed_then_continues_live(
    address: str, engine: AsyncEngine, settings: Settings
) -> None:
    owner, goal = await owner_with_goal(engine, settings)
    head = await log_head(engine)
    variables = {"goal": str(goal)}
    async with TransportWsClient.connect(address, owner.token) as client:
        await client.subscribe(CHECK_IN_EVENTS, variables | {"after": head})
        async with engine.begin() as db:
            await insert_check_in(db, owner, goal, mood=1)
        first = (await client.next_data())["checkInEvents"]
    async with engine.begin() as db:  # while the client is away
        await insert_check_in(db, owner, goal, mood=2)
        await insert_check_in(db, owner, goal, mood=3)
    async with TransportWsClient.connect(address, owner.token) as client:
        await client.subscribe(CHECK_IN_EVENTS, variables | {"after": first["cursor"]})
        assert await moods(client, 2) == [2, 3]
        async with engine.begin() as db:
            await insert_check_in(db, owner, goal, mood=4)
        assert await moods(client, 1) == [4]


async def test_resuming_from_a_pruned_cursor_asks_for_a_refetch(
    address: str, engine: AsyncEngine, settings: Settings
) -> None:
    owner, goal = await owner_with_goal(engine, settings)
    async with engine.begin() as db:
        await insert_check_in(db, owner, goal, mood=1)
    old_head = await log_head(engine)
    async with engine.begin() as db:
        await insert_check_in(db, owner, goal, mood=2)
    newest = event_log.Cursor.parse(await log_head(engine))
    async with engine.connect() as db:
        raw = await db.get_raw_connection()
        await event_log.prune(
            raw.driver_connection, relayed=newest, max_age_seconds=0, max_events=1_000_000
        )
    async with TransportWsClient.connect(address, owner.token) as client:
        await client.subscribe(CHECK_IN_EVENTS, {"after": old_head, "goal": str(goal)})
        resync = (await client.next_data())["checkInEvents"]
        assert resync["type"] == "RESYNC"
        assert resync["checkIn"] is None
        async with engine.begin() as db:
            await insert_check_in(db, owner, goal, mood=3)
        assert await moods(client, 1) == [3]


async def test_a_resume_further_behind_than_the_replay_limit_asks_for_a_refetch(
    engine: AsyncEngine, settings: Settings
) -> None:
    owner, goal = await owner_with_goal(engine, settings)
    before = await log_head(engine)
    for mood in (1, 2):
        async with engine.begin() as db:
            await insert_check_in(db, owner, goal, mood=mood)
    middle = await log_head(engine)
    for mood in (3, 4):
        async with engine.begin() as db:
            await insert_check_in(db, owner, goal, mood=mood)
    limited = settings.model_copy(update={"max_replay_events": 3})
    async with live_server(limited) as address:
        async with TransportWsClient.connect(address, owner.token) as client:
            await client.subscribe(CHECK_IN_EVENTS, {"after": before, "goal": str(goal)})
            assert (await client.next_data())["checkInEvents"]["type"] == "RESYNC"
            async with engine.begin() as db:
                await insert_check_in(db, owner, goal, mood=5)
            assert await moods(client, 1) == [5]
        async with TransportWsClient.connect(address, owner.token) as client:
            await client.subscribe(CHECK_IN_EVENTS, {"after": middle, "goal": str(goal)})
            assert await moods(client, 3) == [3, 4, 5]  # within the limit: all replayed


async def test_a_malformed_cursor_and_someone_elses_goal_are_refused(
    address: str, engine: AsyncEngine, settings: Settings
) -> None:
    _, goal = await owner_with_goal(engine, settings)
    stranger, _ = await owner_with_goal(engine, settings)
    async with TransportWsClient.connect(address, stranger.token) as client:
        await client.subscribe(CHECK_IN_EVENTS, {"after": "not-a-cursor"})
        bad_cursor = await client.message()
        assert (await client.message())["type"] == "complete"
        await client.subscribe(CHECK_IN_EVENTS, {"goal": str(goal)})
        not_mine = await client.message()
    # Execution errors arrive as `next` with errors (then `complete`), as the protocol says.
    assert bad_cursor["type"] == "next"
    assert bad_cursor["payload"]["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert not_mine["type"] == "next"
    assert not_mine["payload"]["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_a_subscriber_that_stops_reading_holds_a_bounded_queue_then_catches_up() -> None:
    subscriber = Subscriber(frozenset({"t"}), limit=5)
    for number in range(1000):
        subscriber.offer(
            event_log.LogEvent(
                cursor=event_log.Cursor(1, number),
                table="goals",
                operation="INSERT",
                row_id=uuid.uuid4(),
                keys={},
            )
        )
        assert subscriber.waiting <= 5
    drained = [await subscriber.get() for _ in range(subscriber.waiting)]
    assert GAP in drained  # the stream reacts to GAP by catching up from the event log


async def test_the_relay_reconnects_and_catches_up_after_its_connection_is_terminated(
    address: str, engine: AsyncEngine, settings: Settings
) -> None:
    owner, goal = await owner_with_goal(engine, settings)
    async with subscribed(address, engine, owner, goal) as client:
        async with engine.begin() as db:
            await insert_check_in(db, owner, goal, mood=1)
        assert await moods(client, 1) == [1]
        async with engine.begin() as db:
            terminated = await db.scalar(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE application_name = :name AND datname = current_database()"
                ),
                {"name": APPLICATION_NAME},
            )
            await insert_check_in(db, owner, goal, mood=2)
        assert terminated == 1
        assert await moods(client, 1) == [2]


async def test_dsn_for_asyncpg_drops_the_sqlalchemy_driver() -> None:
    assert asyncpg_dsn("postgresql+asyncpg://u:p@h:5/d") == "postgresql://u:p@h:5/d"
    unix_socket = asyncpg_dsn("postgres://u@/d?host=/tmp/x")
    assert unix_socket.startswith("postgresql://u@/d?host=")
    assert urllib.parse.unquote(unix_socket).endswith("host=/tmp/x")


async def test_goal_and_notification_events_reach_their_owner_only(
    address: str, engine: AsyncEngine, settings: Settings
) -> None:
    owner, _ = await owner_with_goal(engine, settings)
    fan, _ = await owner_with_goal(engine, settings)
    head = await log_head(engine)
    async with (
        TransportWsClient.connect(address, owner.token) as goals,
        TransportWsClient.connect(address, owner.token) as notifications,
        TransportWsClient.connect(address, fan.token) as fan_notifications,
    ):
        await goals.subscribe(
            "subscription($after: String) { goalEvents(after: $after) "
            "{ type goal { title isActive } } }",
            {"after": head},
        )
        await notifications.subscribe(
            "subscription($after: String) { notificationEvents(after: $after) "
            "{ type notification { type actor { id } } } }",
            {"after": head},
        )
        await fan_notifications.subscribe(
            "subscription($after: String) { notificationEvents(after: $after) { type } }",
            {"after": head},
        )
        async with engine.begin() as db:
            goal_id = await db.scalar(
                text(
                    "INSERT INTO goals (user_id, title, frequency) "
                    "VALUES (:u, 'Swim', 'daily') RETURNING id"
                ),
                {"u": owner.id},
            )
        async with engine.begin() as db:
            await db.execute(
                text("UPDATE goals SET is_active = false WHERE id = :g"), {"g": goal_id}
            )
            await db.execute(
                text(
                    "INSERT INTO notification_history (user_id, actor_id, notification_type, "
                    "title) VALUES (:u, :a, 'follow', 'started following you')"
                ),
                {"u": owner.id, "a": fan.id},
            )
        created = (await goals.next_data())["goalEvents"]
        archived = (await goals.next_data())["goalEvents"]
        notified = (await notifications.next_data())["notificationEvents"]
        # A marker for the fan proves nothing of the owner's reached the fan's socket first.
        async with engine.begin() as db:
            await db.execute(
                text(
                    "INSERT INTO notification_history (user_id, notification_type, title) "
                    "VALUES (:u, 'system', 'marker')"
                ),
                {"u": fan.id},
            )
        fan_first = (await fan_notifications.next_data())["notificationEvents"]
    # Each event carries the row as it is when delivered: here both show the archived goal.
    assert created["type"] == "CREATED"
    assert created["goal"]["title"] == "Swim"
    assert archived == {"type": "UPDATED", "goal": {"title": "Swim", "isActive": False}}
    assert notified == {
        "type": "CREATED",
        "notification": {"type": "follow", "actor": {"id": str(fan.id)}},
    }
    assert fan_first == {"type": "CREATED"}


POST_ACTIVITY = """
subscription($post: ID!, $after: String) {
  postActivity(postId: $post, after: $after) {
    type kind commentId comment { content } likesCount commentsCount
  }
}
"""


async def test_post_activity_streams_comments_and_reactions_with_counts(
    address: str, engine: AsyncEngine, settings: Settings
) -> None:
    author, _ = await owner_with_goal(engine, settings)
    reader, _ = await owner_with_goal(engine, settings)
    async with engine.begin() as db:
        post_id = await db.scalar(
            text("INSERT INTO posts (user_id, content) VALUES (:u, 'Day 1') RETURNING id"),
            {"u": author.id},
        )
    head = await log_head(engine)
    async with TransportWsClient.connect(address, reader.token) as client:
        await client.subscribe(POST_ACTIVITY, {"post": str(post_id), "after": head})
        async with engine.begin() as db:
            await db.execute(
                text("INSERT INTO comments (post_id, user_id, content) VALUES (:p, :u, 'Go!')"),
                {"p": post_id, "u": reader.id},
            )
        async with engine.begin() as db:
            await db.execute(
                text("INSERT INTO likes (post_id, user_id) VALUES (:p, :u)"),
                {"p": post_id, "u": reader.id},
            )
        received = [(await client.next_data())["postActivity"] for _ in range(4)]
        kinds = [(event["kind"], event["type"]) for event in received]
        assert ("COMMENT", "CREATED") in kinds
        assert ("REACTION", "CREATED") in kinds
        comment = next(event for event in received if event["kind"] == "COMMENT")
        assert comment["comment"] == {"content": "Go!"}
        assert received[-1]["likesCount"] == 1
        assert received[-1]["commentsCount"] == 1

        async with engine.begin() as db:  # the post turns private: the reader may not see it
            await db.execute(
                text("UPDATE posts SET is_public = false WHERE id = :p"), {"p": post_id}
            )
        ended = (await client.next_data())["postActivity"]
        assert (ended["kind"], ended["type"]) == ("POST", "DELETED")
        assert (await client.message())["type"] == "complete"


FEED_EVENTS = """
subscription($after: String) { feedEvents(after: $after) { type post { content } } }
"""


async def test_feed_events_follow_the_feed_rule_and_a_new_follow_at_once(
    address: str, engine: AsyncEngine, settings: Settings
) -> None:
    viewer, _ = await owner_with_goal(engine, settings)
    stranger, _ = await owner_with_goal(engine, settings)
    head = await log_head(engine)

    async def post(content: str, *, public: bool) -> None:
        async with engine.begin() as db:
            await db.execute(
                text("INSERT INTO posts (user_id, content, is_public) VALUES (:u, :c, :p)"),
                {"u": stranger.id, "c": content, "p": public},
            )

    async with TransportWsClient.connect(address, viewer.token) as client:
        await client.subscribe(FEED_EVENTS, {"after": head})
        await client.ready()  # live: the follows it holds were read before the writes below
        await post("public one", public=True)
        await post("private before following", public=False)
        async with engine.begin() as db:
            await db.execute(
                text(
                    "INSERT INTO follows (follower_id, following_id, approved_at) "
                    "VALUES (:a, :b, now())"
                ),
                {"a": viewer.id, "b": stranger.id},
            )
        await post("private after following", public=False)
        contents: list[str] = []
        while len(contents) < 2:
            event = (await client.next_data())["feedEvents"]
            if event["post"] and event["post"]["content"] in {
                "public one", "private before following", "private after following",
            }:  # fmt: skip
                contents.append(event["post"]["content"])
    assert contents == ["public one", "private after following"]


async def test_subscriptions_work_over_server_sent_events(
    address: str, engine: AsyncEngine, settings: Settings
) -> None:
    owner, goal = await owner_with_goal(engine, settings)
    head = await log_head(engine)
    request = {"query": CHECK_IN_EVENTS, "variables": {"after": head, "goal": str(goal)}}
    headers = {"authorization": f"Bearer {owner.token}", "accept": "text/event-stream"}
    async with (
        httpx.AsyncClient(base_url=f"http://{address}", timeout=10) as http,
        http.stream("POST", "/graphql/stream", json=request, headers=headers) as response,
    ):
        assert response.headers["content-type"].startswith("text/event-stream")
        async with engine.begin() as db:
            await insert_check_in(db, owner, goal, mood=5)
        async with asyncio.timeout(10):
            async for line in response.aiter_lines():
                if line.startswith("data: "):
                    data = json.loads(line.removeprefix("data: "))
                    if not is_ready(data["data"]):
                        break
    assert data["data"]["checkInEvents"]["checkIn"]["mood"] == 5


async def test_over_sse_a_missing_token_is_unauthenticated(address: str) -> None:
    async with (
        httpx.AsyncClient(base_url=f"http://{address}", timeout=10) as http,
        http.stream("POST", "/graphql/stream", json={"query": CHECK_IN_EVENTS}) as response,
    ):
        lines = [line async for line in response.aiter_lines()]
    data = json.loads(next(line for line in lines if line.startswith("data: "))[6:])
    assert data["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "event: complete" in lines


async def test_an_sse_stream_ends_when_the_account_is_disabled(
    address: str, engine: AsyncEngine, settings: Settings
) -> None:
    owner, goal = await owner_with_goal(engine, settings)
    head = await log_head(engine)
    request = {"query": CHECK_IN_EVENTS, "variables": {"after": head, "goal": str(goal)}}
    headers = {"authorization": f"Bearer {owner.token}"}
    async with (
        httpx.AsyncClient(base_url=f"http://{address}", timeout=10) as http,
        http.stream("POST", "/graphql/stream", json=request, headers=headers) as response,
    ):
        async with engine.begin() as db:
            await insert_check_in(db, owner, goal, mood=2)
        lines = response.aiter_lines()
        async with asyncio.timeout(10):
            async for line in lines:
                if line.startswith("data: {"):
                    break  # the check-in arrived: the stream is live
            async with engine.begin() as db:
                await db.execute(
                    text("UPDATE users SET is_active = false WHERE id = :u"), {"u": owner.id}
                )
            rest = [line async for line in lines]
    assert "event: end" in rest
    end = json.loads(rest[rest.index("event: end") + 1].removeprefix("data: "))
    assert end == {"code": 4001, "reason": "account disabled"}
    assert "event: complete" in rest


async def test_a_transaction_left_open_in_another_database_does_not_hold_delivery_back(
    address: str, engine: AsyncEngine, settings: Settings, postgres_admin_url: str
) -> None:
    owner, goal = await owner_with_goal(engine, settings)
    elsewhere = create_engine(postgres_admin_url, pool_size=1, max_overflow=0)
    try:
        async with elsewhere.connect() as idle, subscribed(address, engine, owner, goal) as client:
            await idle.begin()
            await idle.execute(text("SELECT pg_current_xact_id()"))  # holds an xid, idles
            async with engine.begin() as db:
                await insert_check_in(db, owner, goal, mood=5)
            assert await moods(client, 1) == [5]
            await idle.rollback()
    finally:
        await elsewhere.dispose()


async def test_lag_counts_committed_events_an_open_transaction_holds_back(
    address: str, engine: AsyncEngine, settings: Settings
) -> None:
    owner, goal = await owner_with_goal(engine, settings)
    async with subscribed(address, engine, owner, goal) as client, engine.connect() as open_one:
        await open_one.begin()
        await open_one.execute(text("SELECT pg_current_xact_id()"))
        async with engine.begin() as db:
            await insert_check_in(db, owner, goal, mood=4)
        async with httpx.AsyncClient(base_url=f"http://{address}") as http:
            relay = (await http.get("/readyz")).json()["relay"]
        assert relay["lagEvents"] >= 1
        assert relay["lagSeconds"] >= 0
        await open_one.rollback()
        assert await moods(client, 1) == [4]
        async with httpx.AsyncClient(base_url=f"http://{address}") as http:
            await until_lag_is_zero(http)


async def until_lag_is_zero(http: httpx.AsyncClient) -> None:
    async def lag() -> int:
        events: int = (await http.get("/readyz")).json()["relay"]["lagEvents"]
        return events

    async with asyncio.timeout(10):
        while True:
            if await lag() == 0:
                return
            await asyncio.sleep(0.05)
