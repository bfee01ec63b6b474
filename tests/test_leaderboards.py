"""Scores kept by the database from any writer's check-ins, and the leaderboard query: window
boundaries, un-completed and deleted check-ins, leaving and rejoining, ties, neighbours."""

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from gql.settings import Settings
from models.challenges import Challenge
from resolvers.challenges import ChallengeStatus, status_of
from resolvers.leaderboards import Ranking
from tests.factories import check_in_on, join_with_goal, make_challenge
from tests.graphql import Person, error_codes, gql, person

LEADERBOARD = """
query($id: ID!, $first: Int! = 10, $n: Int! = 1) {
  leaderboard(challengeId: $id, first: $first) {
    version totalParticipants
    entries { rank score user { id } }
    viewerEntry { rank score }
    around(n: $n) { rank score user { id } }
  }
}
"""


async def score_of(engine: AsyncEngine, challenge: uuid.UUID, user: uuid.UUID) -> int:
    async with engine.connect() as db:
        score: int = await db.scalar(
            text(
                "SELECT score FROM challenge_participants WHERE challenge_id = :c AND user_id = :u"
            ),
            {"c": challenge, "u": user},
        )
    return score


async def assert_score_counts_are_exact(engine: AsyncEngine, challenge: uuid.UUID) -> None:
    """The kept histogram equals a count over the participants."""
    async with engine.connect() as db:
        kept = await db.execute(
            text(
                "SELECT score, participants FROM challenge_score_counts "
                "WHERE challenge_id = :c AND participants <> 0"
            ),
            {"c": challenge},
        )
        counted = await db.execute(
            text(
                "SELECT score, count(*) FROM challenge_participants "
                "WHERE challenge_id = :c AND status = 'active' GROUP BY score"
            ),
            {"c": challenge},
        )
        assert sorted(map(tuple, kept)) == sorted(map(tuple, counted))


async def leaderboard(
    client: httpx.AsyncClient, viewer: Person, challenge: uuid.UUID, **variables: Any
) -> dict[str, Any]:
    body = await gql(client, LEADERBOARD, {"id": str(challenge), **variables}, token=viewer.token)
    assert "errors" not in body, body
    board: dict[str, Any] = body["data"]["leaderboard"]
    return board


async def test_only_completed_check_ins_inside_the_window_count(
    engine: AsyncEngine, settings: Settings
) -> None:
    async with engine.begin() as db:
        owner = await person(db, settings)
        challenge = await make_challenge(
            db, owner_id=owner.id, starts_on="2026-03-01", ends_on="2026-03-31"
        )
        goal = await join_with_goal(db, challenge_id=challenge, user_id=owner.id)
        for day in ("2026-02-28", "2026-03-01", "2026-03-15", "2026-03-31", "2026-04-01"):
            await check_in_on(db, goal_id=goal, day=day)
        await check_in_on(db, goal_id=goal, day="2026-03-20", completed=False)

    assert await score_of(engine, challenge, owner.id) == 3


async def test_un_completing_moving_and_deleting_check_ins_lower_the_score(
    engine: AsyncEngine, settings: Settings
) -> None:
    async with engine.begin() as db:
        owner = await person(db, settings)
        challenge = await make_challenge(
            db, owner_id=owner.id, starts_on="2026-03-01", ends_on="2026-03-31"
        )
        goal = await join_with_goal(db, challenge_id=challenge, user_id=owner.id)
        first, second, third = [
            await check_in_on(db, goal_id=goal, day=f"2026-03-0{day}") for day in (1, 2, 3)
        ]
    assert await score_of(engine, challenge, owner.id) == 3

    async with engine.begin() as db:
        await db.execute(text("UPDATE check_ins SET completed = false WHERE id = :i"), {"i": first})
    assert await score_of(engine, challenge, owner.id) == 2
    async with engine.begin() as db:
        await db.execute(
            text("UPDATE check_ins SET date = '2026-04-02' WHERE id = :i"), {"i": second}
        )
    assert await score_of(engine, challenge, owner.id) == 1
    async with engine.begin() as db:
        await db.execute(text("DELETE FROM check_ins WHERE id = :i"), {"i": third})
    assert await score_of(engine, challenge, owner.id) == 0
    async with engine.begin() as db:
        await db.execute(text("UPDATE check_ins SET completed = true WHERE id = :i"), {"i": first})
    assert await score_of(engine, challenge, owner.id) == 1
    await assert_score_counts_are_exact(engine, challenge)


async def test_leaving_removes_from_the_ranking_and_rejoining_recounts(
    engine: AsyncEngine, settings: Settings, client: httpx.AsyncClient
) -> None:
    async with engine.begin() as db:
        owner = await person(db, settings)
        runner = await person(db, settings)
        challenge = await make_challenge(
            db, owner_id=owner.id, starts_on="2026-03-01", ends_on="2026-03-31"
        )
        goal = await join_with_goal(db, challenge_id=challenge, user_id=runner.id)
        await check_in_on(db, goal_id=goal, day="2026-03-02")
        await db.execute(
            text(
                "UPDATE challenge_participants SET status = 'left' "
                "WHERE challenge_id = :c AND user_id = :u"
            ),
            {"c": challenge, "u": runner.id},
        )
        await check_in_on(db, goal_id=goal, day="2026-03-03")  # counted on rejoin

    board = await leaderboard(client, owner, challenge)
    assert board["totalParticipants"] == 1
    assert [entry["user"]["id"] for entry in board["entries"]] == [str(owner.id)]

    async with engine.begin() as db:
        await db.execute(
            text(
                "UPDATE challenge_participants SET status = 'active' "
                "WHERE challenge_id = :c AND user_id = :u"
            ),
            {"c": challenge, "u": runner.id},
        )
    board = await leaderboard(client, runner, challenge)
    assert board["totalParticipants"] == 2
    assert board["viewerEntry"] == {"rank": 1, "score": 2}
    await assert_score_counts_are_exact(engine, challenge)


async def test_equal_scores_share_a_rank_and_are_listed_by_who_reached_them_first(
    engine: AsyncEngine, settings: Settings, client: httpx.AsyncClient
) -> None:
    async with engine.begin() as db:
        owner = await person(db, settings)
        challenge = await make_challenge(
            db, owner_id=owner.id, starts_on="2026-03-01", ends_on="2026-03-31"
        )
    people = []
    # Scores 3, 2, 2, 1, 0 (the owner); the second 2 is reached after the first one.
    for days in (3, 2, 2, 1):
        async with engine.begin() as db:
            runner = await person(db, settings)
            goal = await join_with_goal(db, challenge_id=challenge, user_id=runner.id)
            for day in range(1, days + 1):
                await check_in_on(db, goal_id=goal, day=f"2026-03-0{day}")
        people.append(runner)

    board = await leaderboard(client, people[2], challenge, first=10, n=1)

    assert [(entry["rank"], entry["score"]) for entry in board["entries"]] == [
        (1, 3),
        (2, 2),
        (2, 2),
        (4, 1),
        (5, 0),
    ]
    assert [entry["user"]["id"] for entry in board["entries"]] == [
        str(runner.id) for runner in people
    ] + [str(owner.id)]
    assert board["totalParticipants"] == 5
    assert board["viewerEntry"] == {"rank": 2, "score": 2}
    assert [entry["user"]["id"] for entry in board["around"]] == [
        str(people[1].id),
        str(people[2].id),
        str(people[3].id),
    ]


async def test_the_version_grows_with_every_ranking_change(
    engine: AsyncEngine, settings: Settings, client: httpx.AsyncClient
) -> None:
    async with engine.begin() as db:
        owner = await person(db, settings)
        challenge = await make_challenge(
            db, owner_id=owner.id, starts_on="2026-03-01", ends_on="2026-03-31"
        )
        goal = await join_with_goal(db, challenge_id=challenge, user_id=owner.id)
    before = (await leaderboard(client, owner, challenge))["version"]
    async with engine.begin() as db:
        await check_in_on(db, goal_id=goal, day="2026-03-05")
    after = await leaderboard(client, owner, challenge)
    assert isinstance(before, int)
    assert after["version"] > before
    assert after["viewerEntry"] == {"rank": 1, "score": 1}


async def test_concurrent_check_ins_and_a_concurrent_join_keep_scores_exact(
    engine: AsyncEngine, settings: Settings
) -> None:
    async with engine.begin() as db:
        owner = await person(db, settings)
        challenge = await make_challenge(
            db, owner_id=owner.id, starts_on="2026-03-01", ends_on="2026-03-31"
        )
        late = await person(db, settings)
        late_goal = await join_with_goal(db, challenge_id=challenge, user_id=late.id)
        await db.execute(
            text("DELETE FROM challenge_participants WHERE user_id = :u"), {"u": late.id}
        )
        goal = await join_with_goal(db, challenge_id=challenge, user_id=owner.id)

    async def check_in(day: int, goal_id: uuid.UUID) -> None:
        async with engine.begin() as db:
            await check_in_on(db, goal_id=goal_id, day=f"2026-03-{day:02}")

    async def join() -> None:
        async with engine.begin() as db:
            await db.execute(
                text(
                    "INSERT INTO challenge_participants (challenge_id, user_id, goal_id) "
                    "VALUES (:c, :u, :g)"
                ),
                {"c": challenge, "u": late.id, "g": late_goal},
            )

    await asyncio.gather(
        *(check_in(day, goal) for day in range(1, 21)),
        *(check_in(day, late_goal) for day in range(1, 11)),
        join(),
    )

    assert await score_of(engine, challenge, owner.id) == 20
    assert await score_of(engine, challenge, late.id) == 10
    await assert_score_counts_are_exact(engine, challenge)


async def test_a_private_leaderboard_is_not_found_for_outsiders(
    engine: AsyncEngine, settings: Settings, client: httpx.AsyncClient
) -> None:
    async with engine.begin() as db:
        owner = await person(db, settings)
        outsider = await person(db, settings)
        challenge = await make_challenge(db, owner_id=owner.id, visibility="private")

    body = await gql(client, LEADERBOARD, {"id": str(challenge)}, token=outsider.token)
    assert error_codes(body) == ["NOT_FOUND"]
    body = await gql(client, LEADERBOARD, {"id": str(challenge), "first": 101}, token=owner.token)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    body = await gql(client, LEADERBOARD, {"id": str(challenge), "n": 26}, token=owner.token)
    assert error_codes(body) == ["BAD_USER_INPUT"]


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("Pacific/Kiritimati", ChallengeStatus.ACTIVE),  # UTC+14: already 2 January
        ("UTC", ChallengeStatus.UPCOMING),
        ("Pacific/Pago_Pago", ChallengeStatus.UPCOMING),  # UTC-11
    ],
)
def test_a_challenge_starts_at_midnight_in_its_own_time_zone(
    zone: str, expected: ChallengeStatus
) -> None:
    challenge = Challenge(
        starts_on=datetime(2026, 1, 2).date(), ends_on=datetime(2026, 1, 2).date(), timezone=zone
    )
    now = datetime(2026, 1, 1, 11, 0, tzinfo=UTC)
    assert status_of(challenge, now=now) is expected


def test_ranks_come_from_the_score_histogram() -> None:
    ranking = Ranking.from_histogram(version=1, top=[], histogram={5: 1, 3: 2, 0: 4})
    assert [ranking.rank_of(score) for score in (6, 5, 4, 3, 2, 0)] == [1, 1, 2, 2, 4, 4]
    assert ranking.total == 7
