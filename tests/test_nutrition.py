"""Meals and daily nutrition: validated meals on the owner's local days, totals kept exact by
the database whoever writes."""

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from gql.settings import Settings
from tests.factories import make_goal
from tests.graphql import Person, asgi_client, error_codes, gql, people, with_rate_limits

LOG = """
mutation($input: LogMealInput!) {
  logMeal(input: $input) { id loggedOn mealType name calories proteinG carbsG fatG goalId }
}
"""
UPDATE = """
mutation($id: ID!, $input: UpdateMealInput!) {
  updateMeal(id: $id, input: $input) { id loggedOn name calories }
}
"""
DELETE = "mutation($id: ID!) { deleteMeal(id: $id) }"
DAY = """query($date: Date!) {
  nutritionSummary(date: $date) { date mealsCount calories proteinG carbsG fatG } }"""
DAYS = """query($from: Date!, $to: Date!) {
  nutritionSummaries(from: $from, to: $to) { date mealsCount calories } }"""
MEALS = """query($from: Date!, $to: Date!) {
  mealLogs(from: $from, to: $to) { edges { node { name loggedOn } } } }"""


@pytest.fixture
async def me(engine: AsyncEngine, settings: Settings) -> Person:
    (one,) = await people(engine, settings, 1)
    return one


def today() -> date:
    return datetime.now(UTC).date()  # test users live in UTC


async def log(client: httpx.AsyncClient, owner: Person, **fields: Any) -> dict[str, Any]:
    meal = {"loggedOn": today().isoformat(), "mealType": "LUNCH", "name": "Salad"} | fields
    body = await gql(client, LOG, {"input": meal}, token=owner.token)
    assert "errors" not in body, body
    logged: dict[str, Any] = body["data"]["logMeal"]
    return logged


async def day(client: httpx.AsyncClient, owner: Person, when: date) -> dict[str, Any]:
    body = await gql(client, DAY, {"date": when.isoformat()}, token=owner.token)
    summary: dict[str, Any] = body["data"]["nutritionSummary"]
    return summary


async def test_meals_make_the_days_totals_which_follow_edits_and_deletes(
    client: httpx.AsyncClient, me: Person
) -> None:
    yesterday = today() - timedelta(days=1)
    lunch = await log(client, me, calories=600, proteinG=30.5, carbsG=70, fatG=20.25)
    await log(client, me, name="Apple", mealType="SNACK", calories=95, carbsG=25)
    dinner = await log(client, me, loggedOn=yesterday.isoformat(), calories=800)
    assert lunch["proteinG"] == 30.5 and lunch["mealType"] == "LUNCH"
    assert await day(client, me, today()) == {
        "date": today().isoformat(),
        "mealsCount": 2,
        "calories": 695,
        "proteinG": 30.5,
        "carbsG": 95.0,
        "fatG": 20.25,
    }
    # Moving dinner to today moves its totals; deleting lunch removes its own.
    moved = await gql(
        client,
        UPDATE,
        {"id": dinner["id"], "input": {"loggedOn": today().isoformat()}},
        token=me.token,
    )
    assert moved["data"]["updateMeal"]["loggedOn"] == today().isoformat()
    span = {"from": today().isoformat(), "to": today().isoformat()}
    meals = (await gql(client, MEALS, span, token=me.token))["data"]["mealLogs"]["edges"]
    assert sorted(edge["node"]["name"] for edge in meals) == ["Apple", "Salad", "Salad"]
    listed = await gql(
        client,
        DAYS,
        {"from": (yesterday - timedelta(days=1)).isoformat(), "to": today().isoformat()},
        token=me.token,
    )
    assert [(d["mealsCount"], d["calories"]) for d in listed["data"]["nutritionSummaries"]] == [
        (0, 0),
        (0, 0),
        (3, 1495),
    ]
    assert (await gql(client, DELETE, {"id": lunch["id"]}, token=me.token))["data"] == {
        "deleteMeal": lunch["id"]
    }
    assert (await day(client, me, today()))["calories"] == 895


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"calories": -1}, "calories"),
        ({"calories": 10_001}, "calories"),
        ({"proteinG": -0.5}, "proteinG"),
        ({"fatG": 1e9}, "fatG"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"notes": "x" * 2001}, "notes"),
        ({"photoUrl": "javascript:alert(1)"}, "photoUrl"),
        ({"loggedOn": 1}, "loggedOn"),  # days from today: tomorrow
        ({"loggedOn": -8}, "loggedOn"),
        ({"goalId": "not-an-id"}, "goalId"),
    ],
)
async def test_bad_meals_are_refused_naming_the_field_and_write_nothing(
    client: httpx.AsyncClient, me: Person, engine: AsyncEngine, fields: dict[str, Any], field: str
) -> None:
    meal = {"loggedOn": today().isoformat(), "mealType": "LUNCH", "name": "Salad"} | fields
    if isinstance(meal["loggedOn"], int):
        meal["loggedOn"] = (today() + timedelta(days=meal["loggedOn"])).isoformat()
    body = await gql(client, LOG, {"input": meal}, token=me.token)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["field"] == field
    async with engine.connect() as db:
        count = await db.scalar(
            text("SELECT count(*) FROM meal_logs WHERE user_id = :u"), {"u": me.id}
        )
    assert count == 0


async def test_an_edit_cannot_null_a_required_field_and_ranges_are_bounded(
    client: httpx.AsyncClient, me: Person
) -> None:
    meal = await log(client, me)
    nulled = await gql(client, UPDATE, {"id": meal["id"], "input": {"name": None}}, token=me.token)
    assert error_codes(nulled) == ["BAD_USER_INPUT"]
    backwards = {"from": today().isoformat(), "to": (today() - timedelta(days=1)).isoformat()}
    too_long = {"from": "2020-01-01", "to": "2021-01-01"}
    for variables in (backwards, too_long):
        for query in (MEALS, DAYS):
            assert error_codes(await gql(client, query, variables, token=me.token)) == [
                "BAD_USER_INPUT"
            ]


async def test_meals_are_their_owners_only(
    client: httpx.AsyncClient, engine: AsyncEngine, settings: Settings
) -> None:
    me, stranger = await people(engine, settings, 2)
    async with engine.begin() as db:
        strangers_goal = str(await make_goal(db, user_id=stranger.id))
        my_goal = str(await make_goal(db, user_id=me.id))
    meal = await log(client, me, calories=100, goalId=my_goal)
    assert meal["goalId"] == my_goal
    others_goal = await gql(
        client,
        LOG,
        {"input": {"loggedOn": today().isoformat(), "mealType": "LUNCH", "name": "x",
                   "goalId": strangers_goal}},
        token=me.token,
    )  # fmt: skip
    assert error_codes(others_goal) == ["NOT_FOUND"]
    edit = {"id": meal["id"], "input": {"calories": 1}}
    assert error_codes(await gql(client, UPDATE, edit, token=stranger.token)) == ["NOT_FOUND"]
    assert error_codes(await gql(client, DELETE, {"id": meal["id"]}, token=stranger.token)) == [
        "NOT_FOUND"
    ]
    assert (await day(client, stranger, today()))["calories"] == 0
    span = {"from": today().isoformat(), "to": today().isoformat()}
    assert (await gql(client, MEALS, span, token=stranger.token))["data"]["mealLogs"]["edges"] == []
    assert (await day(client, me, today()))["calories"] == 100
    for query, variables in ((MEALS, span), (DAY, {"date": today().isoformat()})):
        assert error_codes(await gql(client, query, variables)) == ["UNAUTHENTICATED"]


async def test_concurrent_meals_keep_the_totals_exact(
    engine: AsyncEngine, settings: Settings, me: Person
) -> None:
    roomy = with_rate_limits(settings, meal="1000/60")
    async with asgi_client(roomy) as http:
        await asyncio.gather(*(log(http, me, calories=10 + n, proteinG=1.25) for n in range(20)))
        totals = await day(http, me, today())
    assert totals["mealsCount"] == 20
    assert totals["calories"] == sum(10 + n for n in range(20))
    assert totals["proteinG"] == 25.0


async def test_logging_meals_is_rate_limited(
    engine: AsyncEngine, settings: Settings, me: Person
) -> None:
    limited = with_rate_limits(settings, meal="2/3600")
    meal = {"loggedOn": today().isoformat(), "mealType": "LUNCH", "name": "Salad"}
    async with asgi_client(limited) as http:
        bodies = [await gql(http, LOG, {"input": meal}, token=me.token) for _ in range(3)]
    assert [error_codes(body) for body in bodies] == [[], [], ["RATE_LIMITED"]]
