"""Every subscription through every transport: graphql-transport-ws, legacy graphql-ws and
Server-Sent Events, each triggered by a plain-SQL write."""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
import websockets
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from gql.settings import Settings
from tests.factories import make_post
from tests.graphql import Person, people, sql
from tests.live import (
    WAIT_SECONDS,
    TransportWsClient,
    is_ready,
    live_server,
    log_head,
    owner_with_goal,
)

Trigger = Callable[[AsyncEngine, Person, uuid.UUID, uuid.UUID], Awaitable[None]]


@pytest.fixture(scope="module")
async def address(settings: Settings) -> AsyncIterator[str]:
    async with live_server(settings) as running:
        yield running


async def check_in(engine: AsyncEngine, owner: Person, goal: uuid.UUID, post: uuid.UUID) -> None:
    await sql(
        engine,
        "INSERT INTO check_ins (goal_id, user_id, date, completed) "
        "VALUES (:g, :u, current_date, true)",
        g=goal,
        u=owner.id,
    )


async def new_goal(engine: AsyncEngine, owner: Person, goal: uuid.UUID, post: uuid.UUID) -> None:
    await sql(
        engine,
        "INSERT INTO goals (user_id, title, frequency) VALUES (:u, 'Swim', 'daily')",
        u=owner.id,
    )


async def notification(
    engine: AsyncEngine, owner: Person, goal: uuid.UUID, post: uuid.UUID
) -> None:
    await sql(
        engine,
        "INSERT INTO notification_history (user_id, notification_type, title) "
        "VALUES (:u, 'system', 'Hello')",
        u=owner.id,
    )


async def own_post(engine: AsyncEngine, owner: Person, goal: uuid.UUID, post: uuid.UUID) -> None:
    await sql(engine, "INSERT INTO posts (user_id, content) VALUES (:u, 'New')", u=owner.id)


async def comment(engine: AsyncEngine, owner: Person, goal: uuid.UUID, post: uuid.UUID) -> None:
    await sql(
        engine,
        "INSERT INTO comments (post_id, user_id, content) VALUES (:p, :u, 'Nice')",
        p=post,
        u=owner.id,
    )


async def disable(engine: AsyncEngine, owner: Person, goal: uuid.UUID, post: uuid.UUID) -> None:
    await sql(engine, "UPDATE users SET is_active = false WHERE id = :u", u=owner.id)


SUBSCRIPTIONS: list[tuple[str, str, Trigger]] = [
    ("checkInEvents", "checkInEvents(after: $after) { type }", check_in),
    ("goalEvents", "goalEvents(after: $after) { type }", new_goal),
    ("notificationEvents", "notificationEvents(after: $after) { type }", notification),
    ("feedEvents", "feedEvents(after: $after) { type }", own_post),
    ("postActivity", "postActivity(postId: $post, after: $after) { type }", comment),
    ("sessionEvents", "sessionEvents { type }", disable),
]


async def over_transport_ws(
    address: str,
    token: str,
    query: str,
    variables: dict[str, Any],
    trigger: Callable[[], Awaitable[None]],
) -> dict[str, Any]:
    async with TransportWsClient.connect(address, token) as client:
        await client.subscribe(query, variables)
        await trigger()
        return await client.next_data()


async def over_graphql_ws(
    address: str,
    token: str,
    query: str,
    variables: dict[str, Any],
    trigger: Callable[[], Awaitable[None]],
) -> dict[str, Any]:
    async with websockets.connect(
        f"ws://{address}/graphql", subprotocols=[websockets.Subprotocol("graphql-ws")]
    ) as socket:
        init = {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}
        await socket.send(json.dumps(init))
        assert json.loads(await socket.recv())["type"] == "connection_ack"
        start = {"id": "1", "type": "start", "payload": {"query": query, "variables": variables}}
        await socket.send(json.dumps(start))
        await trigger()
        async with asyncio.timeout(WAIT_SECONDS):
            while True:
                message = json.loads(await socket.recv())
                if message["type"] == "data" and not is_ready(message["payload"]["data"]):
                    assert "errors" not in message["payload"], message
                    data: dict[str, Any] = message["payload"]["data"]
                    return data


async def over_sse(
    address: str,
    token: str,
    query: str,
    variables: dict[str, Any],
    trigger: Callable[[], Awaitable[None]],
) -> dict[str, Any]:
    headers = {"authorization": f"Bearer {token}", "accept": "text/event-stream"}
    body = {"query": query, "variables": variables}
    async with (
        httpx.AsyncClient(base_url=f"http://{address}", timeout=WAIT_SECONDS) as http,
        http.stream("POST", "/graphql/stream", json=body, headers=headers) as response,
    ):
        await trigger()
        async with asyncio.timeout(WAIT_SECONDS):
            async for line in response.aiter_lines():
                if line.startswith("data: {"):
                    payload = json.loads(line.removeprefix("data: "))
                    assert "errors" not in payload, payload
                    data: dict[str, Any] = payload["data"]
                    if not is_ready(data):
                        return data
    raise AssertionError("the stream ended without an event")


TRANSPORTS = {
    "graphql-transport-ws": over_transport_ws,
    "graphql-ws": over_graphql_ws,
    "sse": over_sse,
}


@pytest.mark.parametrize("transport", list(TRANSPORTS))
@pytest.mark.parametrize(
    ("field", "selection", "trigger"), SUBSCRIPTIONS, ids=[s[0] for s in SUBSCRIPTIONS]
)
async def test_each_subscription_over_each_transport(
    address: str,
    engine: AsyncEngine,
    settings: Settings,
    transport: str,
    field: str,
    selection: str,
    trigger: Trigger,
) -> None:
    owner, goal = await owner_with_goal(engine, settings)
    async with engine.begin() as db:
        post = await db.scalar(
            text("INSERT INTO posts (user_id, content) VALUES (:u, 'Day 1') RETURNING id"),
            {"u": owner.id},
        )
    head = await log_head(engine)
    query = f"subscription($after: String, $post: ID!) {{ {selection} }}"
    if "$post" not in selection:
        query = query.replace(", $post: ID!", "")
    if "$after" not in selection:
        query = query.replace("($after: String)", "")
    variables: dict[str, Any] = {"after": head} if "$after" in selection else {}
    if "$post" in selection:
        variables["post"] = str(post)
    data = await TRANSPORTS[transport](
        address, owner.token, query, variables, lambda: trigger(engine, owner, goal, post)
    )
    expected = {
        "sessionEvents": {"FORCE_LOGOUT"},
        # A comment first moves the post's commentsCount (the post's UPDATED event).
        "postActivity": {"CREATED", "UPDATED"},
    }.get(field, {"CREATED"})
    assert data[field]["type"] in expected


@pytest.mark.parametrize(
    ("protocol", "start", "data"),
    [("graphql-transport-ws", "subscribe", "next"), ("graphql-ws", "start", "data")],
)
async def test_queries_over_one_socket_never_answer_from_an_earlier_query(
    address: str, engine: AsyncEngine, settings: Settings, protocol: str, start: str, data: str
) -> None:
    """A socket lives for hours: a query sent over it reads what is true now, not what an
    earlier query on the same socket read."""
    viewer, author = await people(engine, settings, 2)
    async with engine.begin() as db:
        post = await make_post(db, user_id=author.id)
    query = "query($p: ID!) { post(id: $p) { viewerReaction author { followersCount } } }"
    async with websockets.connect(
        f"ws://{address}/graphql", subprotocols=[websockets.Subprotocol(protocol)]
    ) as socket:
        init = {"type": "connection_init", "payload": {"authorization": f"Bearer {viewer.token}"}}
        await socket.send(json.dumps(init))

        async def message() -> dict[str, Any]:
            while True:
                received: dict[str, Any] = json.loads(
                    await asyncio.wait_for(socket.recv(), WAIT_SECONDS)
                )
                if received["type"] not in ("ka", "ping", "pong", "connection_ack"):
                    return received

        async def ask(number: int) -> Any:
            operation = {"query": query, "variables": {"p": str(post)}}
            await socket.send(json.dumps({"id": str(number), "type": start, "payload": operation}))
            answer = await message()
            assert answer["type"] == data, answer
            assert (await message())["type"] == "complete"
            return answer["payload"]["data"]["post"]

        assert await ask(1) == {"viewerReaction": None, "author": {"followersCount": 0}}
        like = "INSERT INTO likes (post_id, user_id) VALUES (:p, :u)"
        await sql(engine, like, p=post, u=viewer.id)
        follow = "INSERT INTO follows (follower_id, following_id) VALUES (:v, :a)"
        await sql(engine, follow, v=viewer.id, a=author.id)
        assert await ask(2) == {"viewerReaction": "LIKE", "author": {"followersCount": 1}}
