"""Motivation: the daily message per local day, regenerated in place; pushes and their
delivery."""

import asyncio
import uuid

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from gql.settings import Settings
from resolvers.motivations import CATALOGUE
from tests.factories import insert_returning_id
from tests.graphql import Person, asgi_client, error_codes, gql, people, sql, with_rate_limits

TODAY = "{ todayMotivation { id date message backgroundStyle regenerationCount } }"
REGENERATE = "mutation { regenerateMotivation { id date message regenerationCount } }"
HISTORY = "{ dailyMotivations(first: 10) { edges { node { date message } } } }"
PUSHES = "{ motivations { edges { node { id delivery sentAt openedAt } } } }"
OPEN = "mutation($id: ID!) { markMotivationOpened(id: $id) { id delivery openedAt } }"


@pytest.fixture
async def me(engine: AsyncEngine, settings: Settings) -> Person:
    (one,) = await people(engine, settings, 1)
    return one


async def test_today_is_one_message_per_local_day_and_regenerating_replaces_it(
    client: httpx.AsyncClient, me: Person, engine: AsyncEngine
) -> None:
    await sql(engine, "UPDATE users SET timezone = 'Pacific/Kiritimati' WHERE id = :u", u=me.id)
    first, again = [
        (await gql(client, TODAY, token=me.token))["data"]["todayMotivation"] for _ in range(2)
    ]
    assert first == again and first["regenerationCount"] == 0
    async with engine.connect() as db:
        local_today = await db.scalar(
            text("SELECT (now() AT TIME ZONE 'Pacific/Kiritimati')::date")
        )
    assert first["date"] == local_today.isoformat()  # the viewer's day, 14 hours ahead of UTC
    assert (first["message"], first["backgroundStyle"]) in CATALOGUE
    regenerated = (await gql(client, REGENERATE, token=me.token))["data"]["regenerateMotivation"]
    assert regenerated["id"] == first["id"] and regenerated["regenerationCount"] == 1
    assert regenerated["message"] != first["message"]
    history = (await gql(client, HISTORY, token=me.token))["data"]["dailyMotivations"]["edges"]
    assert [edge["node"] for edge in history] == [
        {"date": first["date"], "message": regenerated["message"]}
    ]


async def test_concurrent_regenerations_each_count_once(
    engine: AsyncEngine, settings: Settings, me: Person
) -> None:
    roomy = with_rate_limits(settings, motivation="100/60")
    async with asgi_client(roomy) as http:
        bodies = await asyncio.gather(*(gql(http, REGENERATE, token=me.token) for _ in range(6)))
        counts = sorted(
            body["data"]["regenerateMotivation"]["regenerationCount"] for body in bodies
        )
        today = (await gql(http, TODAY, token=me.token))["data"]["todayMotivation"]
    assert counts == [1, 2, 3, 4, 5, 6]
    assert today["regenerationCount"] == 6


async def test_regenerating_is_rate_limited(
    engine: AsyncEngine, settings: Settings, me: Person
) -> None:
    limited = with_rate_limits(settings, motivation="2/86400")
    async with asgi_client(limited) as http:
        bodies = [await gql(http, REGENERATE, token=me.token) for _ in range(3)]
    assert [error_codes(body) for body in bodies] == [[], [], ["RATE_LIMITED"]]


async def push(engine: AsyncEngine, owner: Person, *, sent: bool) -> uuid.UUID:
    async with engine.begin() as db:
        return await insert_returning_id(
            db,
            "INSERT INTO motivations (user_id, message, is_sent, sent_at) "
            "VALUES (:u, 'Go!', :s, CASE WHEN :s THEN now() END)",
            u=owner.id,
            s=sent,
        )


async def test_pushes_show_their_delivery_and_only_sent_ones_can_be_opened_by_their_owner(
    client: httpx.AsyncClient, engine: AsyncEngine, settings: Settings
) -> None:
    me, stranger = await people(engine, settings, 2)
    sent, scheduled = await push(engine, me, sent=True), await push(engine, me, sent=False)
    listed = (await gql(client, PUSHES, token=me.token))["data"]["motivations"]["edges"]
    delivery = {edge["node"]["id"]: edge["node"]["delivery"] for edge in listed}
    assert delivery == {str(sent): "SENT", str(scheduled): "SCHEDULED"}
    assert error_codes(await gql(client, OPEN, {"id": str(sent)}, token=stranger.token)) == [
        "NOT_FOUND"
    ]
    assert error_codes(await gql(client, OPEN, {"id": str(scheduled)}, token=me.token)) == [
        "BAD_USER_INPUT"
    ]
    opened = (await gql(client, OPEN, {"id": str(sent)}, token=me.token))["data"]
    again = (await gql(client, OPEN, {"id": str(sent)}, token=me.token))["data"]
    assert opened["markMotivationOpened"]["delivery"] == "OPENED"
    assert again == opened  # the first opening counts
    assert (await gql(client, PUSHES, token=stranger.token))["data"]["motivations"]["edges"] == []


async def test_motivation_needs_a_signed_in_viewer(client: httpx.AsyncClient) -> None:
    for query in (TODAY, REGENERATE, HISTORY, PUSHES):
        assert error_codes(await gql(client, query)) == ["UNAUTHENTICATED"]
