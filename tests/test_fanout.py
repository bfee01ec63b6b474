"""The fan-out engine: subscribers of one event with the same operation share one execution
and one serialization, yet viewer-specific fields stay each viewer's own and nothing is
served from a socket-lifetime cache."""

import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from gql.settings import Settings
from subscriptions import metrics
from tests.factories import make_post
from tests.graphql import Person, people, person
from tests.live import TransportWsClient, live_server, log_head

ACTIVITY = """
subscription($post: ID!, $after: String) {
  postActivity(postId: $post, after: $after) {
    cursor type kind comment { content author { username } } commentsCount
  }
}
"""
ACTIVITY_WITH_VIEWER = """
subscription($post: ID!, $after: String) {
  postActivity(postId: $post, after: $after) {
    type comment { author { username viewerIsFollowing } }
  }
}
"""


@pytest.fixture(scope="module")
async def address(settings: Settings) -> AsyncIterator[str]:
    async with live_server(settings) as running:
        yield running


async def public_post(engine: AsyncEngine, settings: Settings) -> tuple[Person, dict[str, str]]:
    """A post's author, and the variables that subscribe to the post's activity from now
    (the log's head: the subscription then misses nothing, however late it starts)."""
    async with engine.begin() as db:
        author = await person(db, settings)
        post = await make_post(db, user_id=author.id)
    return author, {"post": str(post), "after": await log_head(engine)}


async def comment(engine: AsyncEngine, post: dict[str, str], author: Person, content: str) -> None:
    async with engine.begin() as db:
        await db.execute(
            text("INSERT INTO comments (post_id, user_id, content) VALUES (:p, :u, :c)"),
            {"p": uuid.UUID(post["post"]), "u": author.id, "c": content},
        )


async def fan_and_stranger(
    engine: AsyncEngine, settings: Settings, author: Person
) -> tuple[Person, Person]:
    """Two viewers: one follows the author, the other does not."""
    async with engine.begin() as db:
        fan = await person(db, settings)
        stranger = await person(db, settings)
        await db.execute(
            text(
                "INSERT INTO follows (follower_id, following_id, approved_at) "
                "VALUES (:a, :b, now())"
            ),
            {"a": fan.id, "b": author.id},
        )
    return fan, stranger


async def comment_event(client: TransportWsClient) -> dict[str, Any]:
    """The next postActivity event that carries a comment (skipping the post's counter
    update, which the same transaction logs first)."""
    while True:
        event: dict[str, Any] = (await client.next_data())["postActivity"]
        if event["comment"] is not None:
            return event


async def connected(
    stack: contextlib.AsyncExitStack, address: str, viewers: list[Person]
) -> list[TransportWsClient]:
    """A signed-in socket per viewer, open until the stack closes."""
    return [
        await stack.enter_async_context(TransportWsClient.connect(address, viewer.token))
        for viewer in viewers
    ]


def counter(metric: Any) -> float:
    value: float = metric._value.get()
    return value


async def test_subscribers_with_the_same_operation_share_one_execution(
    address: str, engine: AsyncEngine, settings: Settings
) -> None:
    author, post = await public_post(engine, settings)
    async with contextlib.AsyncExitStack() as stack:
        clients = await connected(stack, address, await people(engine, settings, 5))
        for client in clients:
            await client.subscribe(ACTIVITY, post)
            await client.ready()
        executions, reuses = counter(metrics.EVENT_EXECUTIONS), counter(metrics.EVENT_REUSES)

        await comment(engine, post, author, "first!")
        events = [await comment_event(client) for client in clients]

    assert all(event == events[0] for event in events)
    assert events[0]["comment"]["content"] == "first!"
    # Two events (the post's counter update, then the comment), each executed once for
    # the five subscribers.
    assert counter(metrics.EVENT_EXECUTIONS) - executions == 2
    assert counter(metrics.EVENT_REUSES) - reuses == 8


async def test_subscribers_resuming_from_different_cursors_share_one_execution(
    address: str, engine: AsyncEngine, settings: Settings
) -> None:
    author, post = await public_post(engine, settings)
    async with contextlib.AsyncExitStack() as stack:
        clients = await connected(stack, address, await people(engine, settings, 5))
        for number, client in enumerate(clients):
            # Each resumes after a different cursor: the one after the previous comment.
            await client.subscribe(ACTIVITY, {**post, "after": await log_head(engine)})
            await client.ready()
            await comment(engine, post, author, f"comment {number}")
        for number, client in enumerate(clients):
            for later in range(number, len(clients)):
                assert (await comment_event(client))["comment"]["content"] == f"comment {later}"
        executions = counter(metrics.EVENT_EXECUTIONS)

        await comment(engine, post, author, "for everyone")
        events = [await comment_event(client) for client in clients]

    assert all(event == events[0] for event in events)
    # The cursor only picks where each stream starts: two events, each executed once.
    assert counter(metrics.EVENT_EXECUTIONS) - executions == 2


async def test_viewer_specific_fields_stay_each_viewers_own(
    address: str, engine: AsyncEngine, settings: Settings
) -> None:
    author, post = await public_post(engine, settings)
    fan, stranger = await fan_and_stranger(engine, settings, author)
    async with (
        TransportWsClient.connect(address, fan.token) as fan_client,
        TransportWsClient.connect(address, stranger.token) as stranger_client,
    ):
        for client in (fan_client, stranger_client):
            await client.subscribe(ACTIVITY_WITH_VIEWER, post)
        await comment(engine, post, author, "hello")
        seen = {}
        for name, client in (("fan", fan_client), ("stranger", stranger_client)):
            event = await comment_event(client)
            seen[name] = event["comment"]["author"]["viewerIsFollowing"]

    assert seen == {"fan": True, "stranger": False}


async def test_each_event_reads_users_afresh_on_a_long_lived_socket(
    address: str, engine: AsyncEngine, settings: Settings
) -> None:
    author, post = await public_post(engine, settings)
    async with engine.begin() as db:
        viewer = await person(db, settings)
    async with TransportWsClient.connect(address, viewer.token) as client:
        await client.subscribe(ACTIVITY, post)
        names = []
        for new_name in ("before_rename", "after_rename"):
            async with engine.begin() as db:
                await db.execute(
                    text("UPDATE users SET username = :n WHERE id = :u"),
                    {"n": new_name, "u": author.id},
                )
            await comment(engine, post, author, new_name)
            event = await comment_event(client)
            names.append(event["comment"]["author"]["username"])

    assert names == ["before_rename", "after_rename"]


async def test_subscribers_of_a_public_post_share_one_stream(
    address: str, engine: AsyncEngine, settings: Settings
) -> None:
    author, post = await public_post(engine, settings)
    live = {"post": post["post"]}  # no cursor: from now, which is what groups serve
    async with engine.begin() as db:
        viewers = [await person(db, settings) for _ in range(5)]
    async with contextlib.AsyncExitStack() as stack:
        clients = []
        members = counter(metrics.GROUP_MEMBERS)
        for viewer in viewers:
            client = await stack.enter_async_context(
                TransportWsClient.connect(address, viewer.token)
            )
            clients.append(client)
            await client.subscribe(ACTIVITY, live)
            await client.ready()  # its first frame: the group's cursor as it joined
        assert counter(metrics.GROUP_MEMBERS) == members + 5
        executions, reuses = counter(metrics.EVENT_EXECUTIONS), counter(metrics.EVENT_REUSES)

        await comment(engine, post, author, "grouped")
        events = [await comment_event(client) for client in clients]

    assert all(event == events[0] for event in events)
    assert events[0]["comment"]["content"] == "grouped"
    assert counter(metrics.EVENT_EXECUTIONS) - executions == 2
    assert counter(metrics.EVENT_REUSES) - reuses == 0


async def test_an_operation_selecting_a_per_viewer_field_is_never_grouped_or_shared(
    address: str, engine: AsyncEngine, settings: Settings
) -> None:
    author, post = await public_post(engine, settings)
    fan, stranger = await fan_and_stranger(engine, settings, author)
    members = counter(metrics.GROUP_MEMBERS)
    async with (
        TransportWsClient.connect(address, fan.token) as fan_client,
        TransportWsClient.connect(address, stranger.token) as stranger_client,
    ):
        for client in (fan_client, stranger_client):
            await client.subscribe(ACTIVITY_WITH_VIEWER, post)  # from the log's head
            await client.ready()
        executions = counter(metrics.EVENT_EXECUTIONS)
        await comment(engine, post, author, "hello")
        seen = {}
        for name, client in (("fan", fan_client), ("stranger", stranger_client)):
            seen[name] = (await comment_event(client))["comment"]["author"]["viewerIsFollowing"]
        assert counter(metrics.GROUP_MEMBERS) == members

    assert seen == {"fan": True, "stranger": False}
    # Two events (the post's counter, the comment), each executed for each viewer.
    assert counter(metrics.EVENT_EXECUTIONS) - executions == 4


async def test_when_a_grouped_post_turns_private_only_those_who_may_see_it_keep_it(
    address: str, engine: AsyncEngine, settings: Settings
) -> None:
    author, post = await public_post(engine, settings)
    fan, stranger = await fan_and_stranger(engine, settings, author)
    members = counter(metrics.GROUP_MEMBERS)
    async with (
        TransportWsClient.connect(address, fan.token) as fan_client,
        TransportWsClient.connect(address, stranger.token) as stranger_client,
    ):
        for client in (fan_client, stranger_client):
            await client.subscribe(ACTIVITY, {"post": post["post"]})
            await client.ready()
        assert counter(metrics.GROUP_MEMBERS) == members + 2
        async with engine.begin() as db:
            await db.execute(
                text("UPDATE posts SET is_public = false WHERE id = :p"),
                {"p": uuid.UUID(post["post"])},
            )
        await comment(engine, post, author, "for followers")

        ended = (await stranger_client.next_data())["postActivity"]
        assert (ended["type"], ended["kind"]) == ("DELETED", "POST")
        assert (await stranger_client.message())["type"] == "complete"
        changed = (await fan_client.next_data())["postActivity"]
        assert (changed["type"], changed["kind"]) == ("UPDATED", "POST")
        assert (await comment_event(fan_client))["comment"]["content"] == "for followers"


async def test_with_the_engine_off_every_subscriber_executes_its_own_events(
    engine: AsyncEngine, settings: Settings
) -> None:
    author, post = await public_post(engine, settings)
    off = settings.model_copy(update={"shared_execution": False})
    executions = counter(metrics.EVENT_EXECUTIONS)
    async with (
        live_server(off) as address,
        TransportWsClient.connect(address, author.token) as client,
    ):
        await client.subscribe(ACTIVITY, post)
        await comment(engine, post, author, "unshared")
        assert (await comment_event(client))["comment"]["content"] == "unshared"
    assert counter(metrics.EVENT_EXECUTIONS) == executions
