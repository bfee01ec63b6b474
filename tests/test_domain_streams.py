"""Typed streams where a screen needs more than a row: a plan as it is generated, badges as
they unlock."""

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from gql.settings import Settings
from resolvers import plan_worker
from tests.factories import check_in_on, make_goal
from tests.graphql import people, sql
from tests.live import TransportWsClient, live_server

PLAN_EVENTS = """subscription($goal: ID!) { planEvents(goalId: $goal) {
  cursor type plan { status content } } }"""
UNLOCKED = """subscription { achievementUnlocked {
  cursor type achievement { type { key } } } }"""


@pytest.fixture(scope="module")
async def address(settings: Settings) -> AsyncIterator[str]:
    async with live_server(settings) as running:
        yield running


async def test_a_plan_is_followed_from_request_to_completion(
    address: str, engine: AsyncEngine, settings: Settings
) -> None:
    owner, stranger = await people(engine, settings, 2)
    async with engine.begin() as db:
        goal = await make_goal(db, user_id=owner.id)
    async with TransportWsClient.connect(address, owner.token) as client:
        await client.subscribe(PLAN_EVENTS, {"goal": str(goal)})
        await client.ready()
        await sql(
            engine, "INSERT INTO actionable_plans (goal_id, user_id) VALUES (:g, :u)",
            g=goal, u=owner.id,
        )  # fmt: skip
        await plan_worker.run_once(engine, plan_worker.template_plan)
        seen = [(await client.next_data())["planEvents"] for _ in range(3)]
    # Requested, claimed, completed: three changes. Each carries the plan as it is when
    # delivered, so an earlier change may already show a later status, never an earlier one.
    assert [e["type"] for e in seen] == ["CREATED", "UPDATED", "UPDATED"]
    order = ["PENDING", "GENERATING", "COMPLETED"]
    statuses = [order.index(e["plan"]["status"]) for e in seen]
    assert statuses == sorted(statuses) and statuses[-1] == 2
    assert seen[-1]["plan"]["content"]["steps"]
    async with TransportWsClient.connect(address, stranger.token) as nosy:
        await nosy.subscribe(PLAN_EVENTS, {"goal": str(goal)})
        refused = await nosy.message()
    assert [e["extensions"]["code"] for e in refused["payload"]["errors"]] == ["NOT_FOUND"]


async def test_a_badge_arrives_when_the_database_unlocks_it(
    address: str, engine: AsyncEngine, settings: Settings
) -> None:
    (me,) = await people(engine, settings, 1)
    async with engine.begin() as db:
        goal = await make_goal(db, user_id=me.id)
    async with TransportWsClient.connect(address, me.token) as client:
        await client.subscribe(UNLOCKED)
        await client.ready()
        async with engine.begin() as db:
            await check_in_on(db, goal_id=goal, day="2026-02-02")
        unlocked = (await client.next_data())["achievementUnlocked"]
    assert unlocked["type"] == "CREATED"
    assert unlocked["achievement"]["type"]["key"] == "first_check_in"
