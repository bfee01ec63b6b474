"""leaderboardUpdates: a snapshot at once, then coalesced snapshots computed once per
challenge for every local watcher, each with its own viewer entry."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from gql.settings import Settings
from subscriptions import metrics
from tests.factories import check_in_on, join_with_goal, make_challenge
from tests.graphql import Person, person
from tests.live import TransportWsClient, live_server

UPDATES = """
subscription($id: ID!, $first: Int! = 3) {
  leaderboardUpdates(challengeId: $id, first: $first) {
    version totalParticipants
    entries { rank score user { id } }
    viewerEntry { rank score }
  }
}
"""


@pytest.fixture(scope="module")
async def address(settings: Settings) -> AsyncIterator[str]:
    async with live_server(settings) as running:
        yield running


async def runners(
    engine: AsyncEngine, settings: Settings, count: int, **challenge: str
) -> tuple[uuid.UUID, list[Person], list[uuid.UUID]]:
    """A challenge (March 2026) whose owner and count-1 others take part with a goal each."""
    async with engine.begin() as db:
        owner = await person(db, settings)
        challenge_id = await make_challenge(
            db, owner_id=owner.id, starts_on="2026-03-01", ends_on="2026-03-31", **challenge
        )
        people = [owner] + [await person(db, settings) for _ in range(count - 1)]
        goals = [await join_with_goal(db, challenge_id=challenge_id, user_id=p.id) for p in people]
    return challenge_id, people, goals


async def snapshot(client: TransportWsClient) -> dict[str, Any]:
    board: dict[str, Any] = (await client.next_data())["leaderboardUpdates"]
    return board


async def test_a_check_in_written_with_plain_sql_moves_the_live_leaderboard(
    address: str, engine: AsyncEngine, settings: Settings
) -> None:
    challenge, people, goals = await runners(engine, settings, 3)
    async with TransportWsClient.connect(address, people[2].token) as client:
        await client.subscribe(UPDATES, {"id": str(challenge)})
        first = await snapshot(client)
        assert first["totalParticipants"] == 3
        assert first["viewerEntry"] == {"rank": 1, "score": 0}

        async with engine.begin() as db:
            await check_in_on(db, goal_id=goals[2], day="2026-03-03")
        moved = await snapshot(client)

    assert moved["version"] > first["version"]
    assert moved["viewerEntry"] == {"rank": 1, "score": 1}
    assert [(e["rank"], e["score"], e["user"]["id"]) for e in moved["entries"]] == [
        (1, 1, str(people[2].id)),
        (2, 0, str(people[0].id)),
        (2, 0, str(people[1].id)),
    ]


async def test_watchers_of_a_challenge_share_one_computation_and_see_their_own_entry(
    address: str, engine: AsyncEngine, settings: Settings
) -> None:
    challenge, people, goals = await runners(engine, settings, 4)
    async with (
        TransportWsClient.connect(address, people[0].token) as a,
        TransportWsClient.connect(address, people[1].token) as b,
        TransportWsClient.connect(address, people[3].token) as c,
    ):
        clients = (a, b, c)
        for client in clients:
            await client.subscribe(UPDATES, {"id": str(challenge)})
            await snapshot(client)
        ticks = metrics.LEADERBOARD_TICKS._value.get()

        async with engine.begin() as db:
            await check_in_on(db, goal_id=goals[1], day="2026-03-03")
            await check_in_on(db, goal_id=goals[1], day="2026-03-04")
        views = [await snapshot(client) for client in clients]

        assert metrics.LEADERBOARD_TICKS._value.get() - ticks == 1
    assert [view["viewerEntry"] for view in views] == [
        {"rank": 2, "score": 0},
        {"rank": 1, "score": 2},
        {"rank": 2, "score": 0},
    ]
    assert views[0]["entries"] == views[1]["entries"] == views[2]["entries"]


async def test_a_burst_of_100_check_ins_arrives_as_a_few_snapshots_the_last_one_exact(
    address: str, engine: AsyncEngine, settings: Settings
) -> None:
    challenge, people, goals = await runners(engine, settings, 10)
    async with TransportWsClient.connect(address, people[0].token) as client:
        await client.subscribe(UPDATES, {"id": str(challenge), "first": 10})
        await snapshot(client)
        started = asyncio.get_running_loop().time()

        async def check_ins(goal: uuid.UUID) -> None:
            for day in range(1, 11):
                async with engine.begin() as db:
                    await check_in_on(db, goal_id=goal, day=f"2026-03-{day:02}")

        await asyncio.gather(*(check_ins(goal) for goal in goals))
        received: list[dict[str, Any]] = []
        while not received or received[-1]["totalParticipants"] * 10 != sum(
            entry["score"] for entry in received[-1]["entries"]
        ):
            received.append(await snapshot(client))
        elapsed = asyncio.get_running_loop().time() - started

    rate = settings.leaderboard_snapshots_per_second
    assert len(received) <= rate * elapsed + 2, (len(received), elapsed)
    assert len(received) < 100
    last = received[-1]
    assert [(entry["rank"], entry["score"]) for entry in last["entries"]] == [(1, 10)] * 10
    assert last["viewerEntry"] == {"rank": 1, "score": 10}


@pytest.mark.parametrize(
    "change",
    [
        "UPDATE challenge_participants SET status = 'left' "
        "WHERE challenge_id = :c AND user_id = :u",
        "UPDATE challenges SET deleted_at = now() WHERE id = :c",
    ],
    ids=["member-leaves-private-challenge", "challenge-deleted"],
)
async def test_losing_access_ends_the_subscription_with_not_found(
    address: str, engine: AsyncEngine, settings: Settings, change: str
) -> None:
    challenge, people, _ = await runners(engine, settings, 2, visibility="private")
    async with TransportWsClient.connect(address, people[1].token) as client:
        operation = await client.subscribe(UPDATES, {"id": str(challenge)})
        await snapshot(client)
        async with engine.begin() as db:
            await db.execute(text(change), {"c": challenge, "u": people[1].id})
        message = await client.message()

    assert message["id"] == operation
    assert message["type"] == "next"
    assert [e["extensions"]["code"] for e in message["payload"]["errors"]] == ["NOT_FOUND"]


async def test_outsiders_cannot_subscribe_to_a_private_leaderboard(
    address: str, engine: AsyncEngine, settings: Settings
) -> None:
    challenge, _, _ = await runners(engine, settings, 1, visibility="private")
    async with engine.begin() as db:
        outsider = await person(db, settings)
    async with TransportWsClient.connect(address, outsider.token) as client:
        await client.subscribe(UPDATES, {"id": str(challenge)})
        message = await client.message()
    assert [e["extensions"]["code"] for e in message["payload"]["errors"]] == ["NOT_FOUND"]
