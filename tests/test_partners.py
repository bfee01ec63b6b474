"""Accountability partners: one partnership per pair, each transition by the right person and
told to the other; partners see each other's active goals and check-in days, nothing more."""

import asyncio
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from gql.settings import Settings
from resolvers.partners import MAX_ACTIVE_PARTNERS
from tests.factories import check_in_on, make_goal
from tests.graphql import Person, error_codes, gql, people, sql

REQUEST = """mutation($user: ID!, $message: String) {
  requestPartner(userId: $user, message: $message) { id status message viewerIsRequester } }"""
ACCEPT = "mutation($id: ID!) { acceptPartner(id: $id) { id status acceptedAt } }"
DECLINE = "mutation($id: ID!) { declinePartner(id: $id) { id status } }"
END = "mutation($id: ID!) { endPartnership(id: $id) { id status } }"
LIST = """query($status: [PartnershipStatus!]) { partnerships(status: $status) { edges { node {
  id status viewerIsRequester requester { id } partner { id } } } } }"""
GOALS = """query($user: ID!) { partnerGoals(userId: $user) {
  id title currentStreak checkIns(from: "2026-01-01", to: "2026-01-31") { date completed } } }"""


async def ask(client: httpx.AsyncClient, asker: Person, asked: Person) -> dict[str, Any]:
    body = await gql(client, REQUEST, {"user": str(asked.id)}, token=asker.token)
    assert "errors" not in body, body
    partnership: dict[str, Any] = body["data"]["requestPartner"]
    return partnership


async def partner_events(engine: AsyncEngine, user: Person) -> list[str]:
    async with engine.connect() as db:
        rows = await db.scalars(
            text(
                "SELECT data->>'event' FROM notification_history WHERE user_id = :u "
                "AND notification_type = 'partner_request' ORDER BY created_at, id"
            ),
            {"u": user.id},
        )
        return list(rows)


async def test_asking_accepting_and_ending_tell_the_other_and_open_then_close_the_goals(
    client: httpx.AsyncClient, engine: AsyncEngine, settings: Settings
) -> None:
    me, you = await people(engine, settings, 2)
    async with engine.begin() as db:
        goal = await make_goal(db, user_id=you.id)
        archived = await make_goal(db, user_id=you.id)
        await check_in_on(db, goal_id=goal, day="2026-01-05")
        await check_in_on(db, goal_id=goal, day="2026-01-06", completed=False)
    await sql(engine, "UPDATE goals SET is_active = false WHERE id = :g", g=archived)
    asked = await ask(client, me, you)
    assert await ask(client, me, you) == asked  # asking again changes nothing
    assert asked["status"] == "PENDING" and asked["viewerIsRequester"]
    incoming = (await gql(client, LIST, token=you.token))["data"]["partnerships"]["edges"]
    assert [edge["node"]["viewerIsRequester"] for edge in incoming] == [False]
    pending_goals = await gql(client, GOALS, {"user": str(you.id)}, token=me.token)
    assert error_codes(pending_goals) == ["NOT_FOUND"]  # not before acceptance
    accepted = (await gql(client, ACCEPT, {"id": asked["id"]}, token=you.token))["data"]
    assert accepted["acceptPartner"]["status"] == "ACCEPTED"
    theirs = (await gql(client, GOALS, {"user": str(you.id)}, token=me.token))["data"]
    assert theirs["partnerGoals"] == [
        {
            "id": str(goal),
            "title": "Run",
            "currentStreak": 0,
            "checkIns": [
                {"date": "2026-01-05", "completed": True},
                {"date": "2026-01-06", "completed": False},
            ],
        }
    ]  # the archived goal is not shown
    mine = await gql(client, GOALS, {"user": str(me.id)}, token=you.token)
    assert mine["data"]["partnerGoals"] == []  # both ways: I have no goals
    ended = await gql(client, END, {"id": asked["id"]}, token=you.token)
    assert ended["data"]["endPartnership"]["status"] == "ENDED"
    for viewer, other in ((me, you), (you, me)):
        after = await gql(client, GOALS, {"user": str(other.id)}, token=viewer.token)
        assert error_codes(after) == ["NOT_FOUND"]
    assert await partner_events(engine, you) == ["requested"]
    assert await partner_events(engine, me) == ["accepted", "ended"]
    again = await ask(client, you, me)  # after an end, either may ask again
    assert again["id"] == asked["id"] and again["viewerIsRequester"]


async def test_each_transition_belongs_to_the_right_person(
    client: httpx.AsyncClient, engine: AsyncEngine, settings: Settings
) -> None:
    me, you, stranger = await people(engine, settings, 3)
    asked = await ask(client, me, you)
    for mutation in (ACCEPT, DECLINE, END):
        refused = await gql(client, mutation, {"id": asked["id"]}, token=stranger.token)
        assert error_codes(refused) == ["NOT_FOUND"]
    assert error_codes(await gql(client, ACCEPT, {"id": asked["id"]}, token=me.token)) == [
        "FORBIDDEN"
    ]  # the requester cannot accept their own request
    assert error_codes(await gql(client, END, {"id": asked["id"]}, token=you.token)) == [
        "FORBIDDEN"
    ]  # the one asked declines rather than cancels
    crossed = await gql(client, REQUEST, {"user": str(me.id)}, token=you.token)
    assert error_codes(crossed) == ["CONFLICT"]  # they asked first: accept theirs
    declined = (await gql(client, DECLINE, {"id": asked["id"]}, token=you.token))["data"]
    assert declined["declinePartner"]["status"] == "DECLINED"
    late = await gql(client, ACCEPT, {"id": asked["id"]}, token=you.token)
    assert error_codes(late) == ["CONFLICT"]
    retry = await ask(client, me, you)
    await gql(client, ACCEPT, {"id": retry["id"]}, token=you.token)
    assert error_codes(await gql(client, REQUEST, {"user": str(you.id)}, token=me.token)) == [
        "CONFLICT"
    ]  # already partners
    assert (await gql(client, LIST, token=stranger.token))["data"]["partnerships"]["edges"] == []
    stranger_view = await gql(client, GOALS, {"user": str(you.id)}, token=stranger.token)
    assert error_codes(stranger_view) == ["NOT_FOUND"]
    await sql(engine, "UPDATE users SET is_active = false WHERE id = :u", u=you.id)
    disabled = await gql(client, GOALS, {"user": str(you.id)}, token=me.token)
    assert error_codes(disabled) == ["NOT_FOUND"]


async def test_bad_requests_are_refused(
    client: httpx.AsyncClient, engine: AsyncEngine, settings: Settings
) -> None:
    me, you = await people(engine, settings, 2)
    cases = [
        ({"user": str(me.id)}, "BAD_USER_INPUT"),
        ({"user": "00000000-0000-0000-0000-000000000000"}, "NOT_FOUND"),
        ({"user": "nope"}, "BAD_USER_INPUT"),
        ({"user": str(you.id), "message": "x" * 501}, "BAD_USER_INPUT"),
    ]
    for variables, code in cases:
        assert error_codes(await gql(client, REQUEST, variables, token=me.token)) == [code]
    assert error_codes(await gql(client, REQUEST, {"user": str(you.id)})) == ["UNAUTHENTICATED"]
    async with engine.connect() as db:
        rows = await db.scalar(
            text("SELECT count(*) FROM accountability_partners WHERE requester_id = :u"),
            {"u": me.id},
        )
    assert rows == 0


async def test_two_people_asking_each_other_at_once_make_one_partnership(
    client: httpx.AsyncClient, engine: AsyncEngine, settings: Settings
) -> None:
    me, you = await people(engine, settings, 2)
    bodies = await asyncio.gather(
        *(
            gql(client, REQUEST, {"user": str(b.id)}, token=a.token)
            for a, b in [(me, you), (you, me)] * 4
        )
    )
    assert {code for body in bodies for code in error_codes(body)} <= {"CONFLICT"}
    assert len({body["data"]["requestPartner"]["id"] for body in bodies if body["data"]}) == 1


async def test_a_person_has_at_most_so_many_partners_and_requests(
    client: httpx.AsyncClient, engine: AsyncEngine, settings: Settings
) -> None:
    popular, *others = await people(engine, settings, MAX_ACTIVE_PARTNERS + 2)
    for other in others[:-1]:
        await ask(client, other, popular)
    refused = await gql(client, REQUEST, {"user": str(popular.id)}, token=others[-1].token)
    assert error_codes(refused) == ["CONFLICT"]
