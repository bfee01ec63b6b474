"""Achievements: unlocked by the database whoever writes, once per user, with a notification
in the same transaction; a catalogue admins extend and retire."""

import asyncio
import uuid
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from gql.settings import Settings
from resolvers.achievements import award_ended_challenges
from tests.factories import check_in_on, join_with_goal, make_challenge, make_goal
from tests.graphql import Person, error_codes, gql, people, sql

MINE = "{ me { profile { achievements { type { key } goalId metadata } } } }"
THEIRS = "query($id: ID!) { user(id: $id) { achievements { type { key } goalId } } }"
CATALOGUE = "query($all: Boolean) { achievementTypes(includeRetired: $all) { key isActive } }"
CREATE = """
mutation($input: CreateAchievementTypeInput!) {
  createAchievementType(input: $input) { id key criteria isActive }
}
"""
RETIRE = "mutation($id: ID!) { retireAchievementType(id: $id) { key isActive } }"


async def unlocked(engine: AsyncEngine, user: Person) -> dict[str, int]:
    """Each unlocked key of the user, with how many achievement notifications name it."""
    async with engine.connect() as db:
        rows = await db.execute(
            text(
                "SELECT t.key, (SELECT count(*) FROM notification_history n "
                "WHERE n.user_id = a.user_id AND n.notification_type = 'achievement' "
                "AND n.data->>'key' = t.key) FROM user_achievements a "
                "JOIN achievement_types t ON t.id = a.achievement_type_id WHERE a.user_id = :u"
            ),
            {"u": user.id},
        )
        return {key: notifications for key, notifications in rows}


def days(count: int, *, ending: date = date(2026, 3, 31)) -> list[str]:
    return [(ending - timedelta(days=offset)).isoformat() for offset in range(count)]


@pytest.fixture
async def me(engine: AsyncEngine, settings: Settings) -> Person:
    (one,) = await people(engine, settings, 1)
    return one


async def test_check_ins_unlock_the_first_check_in_and_a_streak_on_their_goal_once(
    client: httpx.AsyncClient, engine: AsyncEngine, settings: Settings, me: Person
) -> None:
    (other,) = await people(engine, settings, 1)
    async with engine.begin() as db:
        goal = await make_goal(db, user_id=me.id)
        await check_in_on(db, goal_id=goal, day="2026-03-20", completed=False)
    assert await unlocked(engine, me) == {}  # not completed: nothing yet
    async with engine.begin() as db:
        for day in days(6):  # six days in a row, one statement each
            await check_in_on(db, goal_id=goal, day=day)
    assert await unlocked(engine, me) == {"first_check_in": 1}
    # The seventh day, written with others in one statement by any writer.
    await sql(
        engine,
        "INSERT INTO check_ins (goal_id, user_id, date, completed) "
        "VALUES (:g, :u, '2026-03-25', true), (:g, :u, '2026-03-10', true)",
        g=goal,
        u=me.id,
    )
    assert await unlocked(engine, me) == {"first_check_in": 1, "streak_7": 1}
    mine = (await gql(client, MINE, token=me.token))["data"]["me"]["profile"]["achievements"]
    by_key = {row["type"]["key"]: row for row in mine}
    assert by_key["streak_7"]["goalId"] == str(goal)
    assert by_key["streak_7"]["metadata"] == {"streak": 7}
    seen = await gql(client, THEIRS, {"id": str(me.id)}, token=other.token)
    assert {row["type"]["key"]: row["goalId"] for row in seen["data"]["user"]["achievements"]} == {
        "first_check_in": None,
        "streak_7": None,  # the goal is private
    }


async def test_concurrent_writers_unlock_a_streak_exactly_once(
    engine: AsyncEngine, me: Person
) -> None:
    """Seven transactions each write one day of a seven-day run at the same moment: the
    per-user lock makes the last one see the others, and the unique key keeps it once."""
    async with engine.begin() as db:
        goal = await make_goal(db, user_id=me.id)

    async def one(day: str) -> None:
        async with engine.begin() as db:
            await check_in_on(db, goal_id=goal, day=day)

    await asyncio.gather(*(one(day) for day in days(7)))
    assert await unlocked(engine, me) == {"first_check_in": 1, "streak_7": 1}


async def test_a_first_post_unlocks_and_ended_challenges_are_awarded_once(
    client: httpx.AsyncClient, engine: AsyncEngine, me: Person
) -> None:
    body = await gql(
        client, 'mutation { createPost(input: {content: "hi"}) { id } }', token=me.token
    )
    assert "errors" not in body
    assert await unlocked(engine, me) == {"first_post": 1}
    async with engine.begin() as db:
        ended = await make_challenge(
            db, owner_id=me.id, starts_on="2026-01-01", ends_on="2026-01-31"
        )
        goal = await join_with_goal(db, challenge_id=ended, user_id=me.id)
        running = await make_challenge(db, owner_id=me.id, ends_on="2099-12-31")
        await join_with_goal(db, challenge_id=running, user_id=me.id)
    async with engine.begin() as db:
        await award_ended_challenges(db)
    assert "first_challenge_completed" not in await unlocked(engine, me)  # score 0: not taken part
    async with engine.begin() as db:
        await check_in_on(db, goal_id=goal, day="2026-01-15")
    for _ in range(2):
        async with engine.begin() as db:
            await award_ended_challenges(db)
    assert (await unlocked(engine, me))["first_challenge_completed"] == 1


async def admin(engine: AsyncEngine, settings: Settings) -> Person:
    (staff,) = await people(engine, settings, 1)
    await sql(engine, "INSERT INTO admin_users (user_id, role) VALUES (:u, 'admin')", u=staff.id)
    return staff


async def test_admins_extend_and_retire_the_catalogue_and_rules_follow(
    client: httpx.AsyncClient, engine: AsyncEngine, settings: Settings, me: Person
) -> None:
    staff = await admin(engine, settings)
    key = f"check_ins_{uuid.uuid4().hex[:8]}"
    new = {"key": key, "name": "Two check-ins", "category": "check_ins", "rule": "check_ins",
           "threshold": 2, "points": 5}  # fmt: skip
    created = (await gql(client, CREATE, {"input": new}, token=staff.token))["data"]
    kind = created["createAchievementType"]
    assert kind["criteria"] == {"rule": "check_ins", "threshold": 2} and kind["isActive"]
    assert error_codes(await gql(client, CREATE, {"input": new}, token=staff.token)) == ["CONFLICT"]
    public = (await gql(client, CATALOGUE))["data"]["achievementTypes"]
    assert {"key": key, "isActive": True} in public
    assert {"first_check_in", "streak_7", "streak_30", "first_post"} <= {t["key"] for t in public}
    async with engine.begin() as db:
        goal = await make_goal(db, user_id=me.id)
        await check_in_on(db, goal_id=goal, day="2026-02-01")
        await check_in_on(db, goal_id=goal, day="2026-02-03")
    assert await unlocked(engine, me) == {"first_check_in": 1, key: 1}
    retired = await gql(client, RETIRE, {"id": kind["id"]}, token=staff.token)
    assert retired["data"]["retireAchievementType"] == {"key": key, "isActive": False}
    (late,) = await people(engine, settings, 1)
    async with engine.begin() as db:
        goal = await make_goal(db, user_id=late.id)
        await check_in_on(db, goal_id=goal, day="2026-02-01")
        await check_in_on(db, goal_id=goal, day="2026-02-03")
    assert await unlocked(engine, late) == {"first_check_in": 1}  # retired: unlocks no more
    everything = await gql(client, CATALOGUE, {"all": True}, token=staff.token)
    assert {"key": key, "isActive": False} in everything["data"]["achievementTypes"]
    async with engine.connect() as db:
        actions = (
            await db.scalars(
                text("SELECT action FROM audit_logs WHERE resource_id = :id ORDER BY created_at"),
                {"id": kind["id"]},
            )
        ).all()
    assert actions == ["achievement_type.create", "achievement_type.retire"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"key": "Bad Key"}, "key"),
        ({"category": "fun"}, "category"),
        ({"rule": "likes"}, "rule"),
        ({"threshold": 0}, "threshold"),
        ({"rule": None}, "threshold"),
        ({"points": -1}, "points"),
        ({"iconUrl": "ftp://x"}, "iconUrl"),
        ({"name": " "}, "name"),
    ],
)
async def test_bad_achievement_types_are_refused(
    client: httpx.AsyncClient, engine: AsyncEngine, settings: Settings, change: dict[str, Any],
    field: str,
) -> None:  # fmt: skip
    staff = await admin(engine, settings)
    new = {"key": f"k_{uuid.uuid4().hex[:8]}", "name": "N", "category": "milestone",
           "rule": "posts", "threshold": 3} | change  # fmt: skip
    body = await gql(client, CREATE, {"input": new}, token=staff.token)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["field"] == field


async def test_only_admins_change_or_list_the_retired_catalogue(
    client: httpx.AsyncClient, me: Person
) -> None:
    new = {"key": "sneaky", "name": "N", "category": "milestone"}
    assert error_codes(await gql(client, CREATE, {"input": new}, token=me.token)) == ["FORBIDDEN"]
    assert error_codes(await gql(client, CREATE, {"input": new})) == ["UNAUTHENTICATED"]
    first = (await gql(client, CATALOGUE))["data"]["achievementTypes"][0]
    assert first["isActive"]
    assert error_codes(await gql(client, CATALOGUE, {"all": True}, token=me.token)) == ["FORBIDDEN"]
