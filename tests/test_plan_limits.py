"""Plan tiers: the free plan holds 5 active goals and owns 1 challenge that has not ended;
going past is FORBIDDEN with reason PLAN_LIMIT, even for concurrent requests."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from gql.settings import Settings
from resolvers.plan_limits import LIMITS
from tests.graphql import Person, error_codes, gql, people, sql

CREATE_GOAL = 'mutation { createGoal(input: {title: "G", frequency: DAILY}) { id } }'
ARCHIVE = "mutation($id: ID!) { archiveGoal(id: $id) { isActive } }"
UNARCHIVE = "mutation($id: ID!) { unarchiveGoal(id: $id) { isActive } }"
TODAY = datetime.now(UTC).date()
CREATE_CHALLENGE = """mutation($input: CreateChallengeInput!) { createChallenge(input: $input) {
  id } }"""
FREE_GOALS = LIMITS["free"].active_goals


@pytest.fixture
async def me(engine: AsyncEngine, settings: Settings) -> Person:
    (one,) = await people(engine, settings, 1)
    return one


def plan_limit(body: dict[str, Any]) -> dict[str, Any]:
    assert error_codes(body) == ["FORBIDDEN"], body
    extensions: dict[str, Any] = body["errors"][0]["extensions"]
    return {key: extensions[key] for key in ("reason", "limit", "plan")}


async def test_the_free_plan_holds_so_many_active_goals(
    client: httpx.AsyncClient, engine: AsyncEngine, me: Person
) -> None:
    assert FREE_GOALS is not None
    goals = [
        (await gql(client, CREATE_GOAL, token=me.token))["data"]["createGoal"]["id"]
        for _ in range(FREE_GOALS)
    ]
    over = await gql(client, CREATE_GOAL, token=me.token)
    assert plan_limit(over) == {"reason": "PLAN_LIMIT", "limit": FREE_GOALS, "plan": "free"}
    await gql(client, ARCHIVE, {"id": goals[0]}, token=me.token)
    replacement = await gql(client, CREATE_GOAL, token=me.token)
    assert "errors" not in replacement  # archived goals do not count
    restored = await gql(client, UNARCHIVE, {"id": goals[0]}, token=me.token)
    assert plan_limit(restored)["reason"] == "PLAN_LIMIT"  # restoring one counts
    await sql(engine, "UPDATE users SET plan = 'pro' WHERE id = :u", u=me.id)
    assert "errors" not in await gql(client, UNARCHIVE, {"id": goals[0]}, token=me.token)


async def test_concurrent_creations_cannot_pass_the_limit_together(
    client: httpx.AsyncClient, engine: AsyncEngine, me: Person
) -> None:
    bodies = await asyncio.gather(*(gql(client, CREATE_GOAL, token=me.token) for _ in range(12)))
    assert sum("errors" not in body for body in bodies) == FREE_GOALS
    async with engine.connect() as db:
        active = await db.scalar(
            text("SELECT count(*) FROM goals WHERE user_id = :u AND is_active"), {"u": me.id}
        )
    assert active == FREE_GOALS


async def test_the_free_plan_owns_one_challenge_that_has_not_ended(
    client: httpx.AsyncClient, engine: AsyncEngine, me: Person
) -> None:
    window = {"startsOn": TODAY.isoformat(), "endsOn": (TODAY + timedelta(days=7)).isoformat()}
    first = await gql(client, CREATE_CHALLENGE, {"input": {"title": "A"} | window}, token=me.token)
    second = await gql(client, CREATE_CHALLENGE, {"input": {"title": "B"} | window}, token=me.token)
    assert plan_limit(second) == {"reason": "PLAN_LIMIT", "limit": 1, "plan": "free"}
    await sql(
        engine,
        "UPDATE challenges SET starts_on = current_date - 10, ends_on = current_date - 3 "
        "WHERE id = :c",
        c=first["data"]["createChallenge"]["id"],
    )
    third = await gql(client, CREATE_CHALLENGE, {"input": {"title": "C"} | window}, token=me.token)
    assert "errors" not in third  # an ended challenge does not count


async def test_the_viewer_sees_their_subscription_history(
    client: httpx.AsyncClient, engine: AsyncEngine, me: Person
) -> None:
    for plan, days_ago in (("pro", 60), ("elite", 10)):
        await sql(
            engine,
            "INSERT INTO subscriptions (user_id, plan, status, platform, product_id, "
            "purchase_date) VALUES (:u, :p, 'active', 'ios', 'com.fitnudge.' || :p, "
            "now() - make_interval(days => :d))",
            u=me.id,
            p=plan,
            d=days_ago,
        )
    body = await gql(client, "{ me { subscription { plan } subscriptions { plan } } }",
                     token=me.token)  # fmt: skip
    assert body["data"]["me"] == {
        "subscription": {"plan": "elite"},
        "subscriptions": [{"plan": "elite"}, {"plan": "pro"}],
    }
