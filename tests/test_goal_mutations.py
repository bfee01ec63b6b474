"""Goal and check-in mutations: validated, owner-only, converging under concurrency."""

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from gql.settings import Settings
from tests.graphql import Person, error_codes, gql, person

CREATE = """
mutation($input: CreateGoalInput!) {
  createGoal(input: $input) { id title category frequency targetDays reminderTimes isActive }
}
"""
UPDATE = """
mutation($id: ID!, $input: UpdateGoalInput!) {
  updateGoal(id: $id, input: $input) { title description targetDays reminderTimes }
}
"""
CHECK_IN = """
mutation($input: CheckInInput!) { checkIn(input: $input) { id date completed mood reflection } }
"""


@pytest.fixture
async def owner(engine: AsyncEngine, settings: Settings) -> Person:
    async with engine.begin() as db:
        return await person(db, settings)


async def goal_count(engine: AsyncEngine, owner: Person) -> int:
    async with engine.connect() as db:
        count: int = await db.scalar(
            text("SELECT count(*) FROM goals WHERE user_id = :u"), {"u": owner.id}
        )
    return count


async def create_goal(client: httpx.AsyncClient, owner: Person, **fields: object) -> str:
    goal_input = {"title": "Run", "frequency": "DAILY"} | fields
    body = await gql(client, CREATE, {"input": goal_input}, token=owner.token)
    goal_id: str = body["data"]["createGoal"]["id"]
    return goal_id


async def test_create_update_archive_and_delete_a_goal(
    client: httpx.AsyncClient, owner: Person, engine: AsyncEngine
) -> None:
    created = await gql(
        client,
        CREATE,
        {
            "input": {
                "title": "  Gym  ",
                "frequency": "WEEKLY",
                "targetDays": 3,
                "category": "FITNESS",
                "reminderTimes": ["18:00", "07:30", "18:00"],
            }
        },
        token=owner.token,
    )
    goal = created["data"]["createGoal"]
    assert goal | {"id": None} == {
        "id": None,
        "title": "Gym",
        "category": "FITNESS",
        "frequency": "WEEKLY",
        "targetDays": 3,
        "reminderTimes": ["07:30", "18:00"],
        "isActive": True,
    }
    updated = await gql(
        client, UPDATE, {"id": goal["id"], "input": {"description": "Legs"}}, token=owner.token
    )
    assert updated["data"]["updateGoal"] == {
        "title": "Gym",
        "description": "Legs",
        "targetDays": 3,
        "reminderTimes": ["07:30", "18:00"],
    }
    archived = await gql(
        client,
        "mutation($id: ID!) { archiveGoal(id: $id) { isActive } }",
        {"id": goal["id"]},
        token=owner.token,
    )
    assert archived["data"]["archiveGoal"] == {"isActive": False}
    deleted = await gql(
        client, "mutation($id: ID!) { deleteGoal(id: $id) }", {"id": goal["id"]}, token=owner.token
    )
    assert deleted["data"]["deleteGoal"] == goal["id"]
    assert await goal_count(engine, owner) == 0


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"targetDays": 8}, "targetDays"),
        ({"targetDays": 0}, "targetDays"),
        ({"reminderTimes": ["25:00"]}, "reminderTimes"),
        ({"reminderTimes": ["9:00"]}, "reminderTimes"),
        ({"title": "   "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"frequency": "WEEKLY"}, "targetDays"),
        ({"description": "d" * 2001}, "description"),
    ],
)
async def test_invalid_goals_are_refused_and_nothing_is_written(
    client: httpx.AsyncClient,
    owner: Person,
    engine: AsyncEngine,
    fields: dict[str, object],
    field: str,
) -> None:
    goal_input = {"title": "Run", "frequency": "DAILY"} | fields
    body = await gql(client, CREATE, {"input": goal_input}, token=owner.token)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["field"] == field
    assert await goal_count(engine, owner) == 0


async def test_an_unknown_enum_value_is_bad_user_input(
    client: httpx.AsyncClient, owner: Person
) -> None:
    body = await gql(
        client, CREATE, {"input": {"title": "R", "frequency": "HOURLY"}}, token=owner.token
    )
    assert error_codes(body) == ["BAD_USER_INPUT"]


async def test_someone_elses_goal_cannot_be_changed(
    client: httpx.AsyncClient, owner: Person, engine: AsyncEngine, settings: Settings
) -> None:
    goal_id = await create_goal(client, owner)
    async with engine.begin() as db:
        intruder = await person(db, settings)
    for mutation in (
        'mutation($id: ID!) { updateGoal(id: $id, input: {title: "Mine"}) { id } }',
        "mutation($id: ID!) { deleteGoal(id: $id) }",
        "mutation($id: ID!) { archiveGoal(id: $id) { id } }",
    ):
        body = await gql(client, mutation, {"id": goal_id}, token=intruder.token)
        assert error_codes(body) == ["NOT_FOUND"]
    anonymous = await gql(client, CREATE, {"input": {"title": "R", "frequency": "DAILY"}})
    assert error_codes(anonymous) == ["UNAUTHENTICATED"]


async def test_a_goal_from_a_template_copies_its_schedule(
    client: httpx.AsyncClient, owner: Person
) -> None:
    templates = await gql(client, "{ goalTemplates { id title } }")
    gym = next(t for t in templates["data"]["goalTemplates"] if t["title"] == "Gym 3x Weekly")
    body = await gql(
        client,
        "mutation($t: ID!) { createGoalFromTemplate(templateId: $t) "
        "{ title frequency targetDays reminderTimes } }",
        {"t": gym["id"]},
        token=owner.token,
    )
    assert body["data"]["createGoalFromTemplate"] == {
        "title": "Gym 3x Weekly",
        "frequency": "WEEKLY",
        "targetDays": 3,
        "reminderTimes": ["09:00", "18:00"],
    }


def today() -> str:
    return datetime.now(UTC).date().isoformat()


async def test_checking_in_twice_the_same_day_converges_on_the_last_write(
    client: httpx.AsyncClient, owner: Person, engine: AsyncEngine
) -> None:
    goal_id = await create_goal(client, owner)
    first = await gql(
        client,
        CHECK_IN,
        {"input": {"goalId": goal_id, "date": today(), "completed": False}},
        token=owner.token,
    )
    second = await gql(
        client,
        CHECK_IN,
        {"input": {"goalId": goal_id, "date": today(), "completed": True, "mood": 5,
                   "reflection": "Done"}},
        token=owner.token,
    )  # fmt: skip
    assert second["data"]["checkIn"]["id"] == first["data"]["checkIn"]["id"]
    assert second["data"]["checkIn"] | {"id": None} == {
        "id": None,
        "date": today(),
        "completed": True,
        "mood": 5,
        "reflection": "Done",
    }


async def test_concurrent_check_ins_for_the_same_goal_and_date_leave_one_row(
    client: httpx.AsyncClient, owner: Person, engine: AsyncEngine
) -> None:
    goal_id = await create_goal(client, owner)
    results = await asyncio.gather(
        *(
            gql(
                client,
                CHECK_IN,
                {"input": {"goalId": goal_id, "date": today(), "completed": True, "mood": n}},
                token=owner.token,
            )
            for n in (1, 2, 3, 4, 5) * 4
        )
    )
    assert all("errors" not in body for body in results)
    async with engine.connect() as db:
        rows = await db.scalar(
            text("SELECT count(*) FROM check_ins WHERE goal_id = :g"), {"g": goal_id}
        )
    assert rows == 1


@pytest.mark.parametrize(
    ("days_back", "extra", "field"),
    [(-1, {}, "date"), (8, {}, "date"), (0, {"mood": 6}, "mood"), (0, {"mood": 0}, "mood")],
)
async def test_check_ins_outside_the_rules_are_refused(
    client: httpx.AsyncClient,
    owner: Person,
    engine: AsyncEngine,
    days_back: int,
    extra: dict[str, object],
    field: str,
) -> None:
    goal_id = await create_goal(client, owner)
    day = (datetime.now(UTC).date() - timedelta(days=days_back)).isoformat()
    body = await gql(
        client,
        CHECK_IN,
        {"input": {"goalId": goal_id, "date": day, "completed": True} | extra},
        token=owner.token,
    )
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["field"] == field
    async with engine.connect() as db:
        assert await db.scalar(text("SELECT count(*) FROM check_ins WHERE user_id = :u"),
                               {"u": owner.id}) == 0  # fmt: skip


async def test_a_check_in_seven_days_back_is_allowed_and_deletable(
    client: httpx.AsyncClient, owner: Person
) -> None:
    goal_id = await create_goal(client, owner)
    day = (datetime.now(UTC).date() - timedelta(days=7)).isoformat()
    body = await gql(
        client,
        CHECK_IN,
        {"input": {"goalId": goal_id, "date": day, "completed": True}},
        token=owner.token,
    )
    check_in_id = body["data"]["checkIn"]["id"]
    deleted = await gql(
        client,
        "mutation($id: ID!) { deleteCheckIn(id: $id) }",
        {"id": check_in_id},
        token=owner.token,
    )
    assert deleted["data"]["deleteCheckIn"] == check_in_id
    again = await gql(
        client,
        "mutation($id: ID!) { deleteCheckIn(id: $id) }",
        {"id": check_in_id},
        token=owner.token,
    )
    assert error_codes(again) == ["NOT_FOUND"]
