"""Challenges through the API: owners edit and invite, members read, private challenges are
invisible to outsiders, and refused changes write nothing."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from gql.settings import Settings
from tests.factories import make_goal
from tests.graphql import Person, asgi_client, error_codes, gql, person, with_rate_limits

TODAY = datetime.now(UTC).date()
CREATE = """
mutation($input: CreateChallengeInput!) {
  createChallenge(input: $input) {
    id title visibility startsOn endsOn timezone status participantCount
    owner { id } viewerParticipation { role status score }
  }
}
"""
UPDATE = """
mutation($id: ID!, $input: UpdateChallengeInput!) {
  updateChallenge(id: $id, input: $input) { title maxParticipants visibility endsOn }
}
"""
JOIN = """
mutation($id: ID!, $goal: ID!) {
  joinChallenge(id: $id, goalId: $goal) { role status goalId score }
}
"""
LEAVE = "mutation($id: ID!) { leaveChallenge(id: $id) { status leftAt } }"
INVITE = "mutation($id: ID!, $user: ID!) { inviteToChallenge(id: $id, userId: $user) { status } }"
CHALLENGE = "query($id: ID!) { challenge(id: $id) { title participantCount } }"
CHALLENGES = """
query($joined: Boolean!, $status: ChallengeStatus) {
  challenges(first: 50, joinedOnly: $joined, status: $status) { edges { node { id } } }
}
"""


@pytest.fixture
async def people(engine: AsyncEngine, settings: Settings) -> list[Person]:
    """Three people on the pro plan (the free plan owns one live challenge at a time)."""
    async with engine.begin() as db:
        three = [await person(db, settings) for _ in range(3)]
        await db.execute(
            text("UPDATE users SET plan = 'pro' WHERE id = ANY(:ids)"),
            {"ids": [p.id for p in three]},
        )
    return three


async def goal_of(engine: AsyncEngine, someone: Person) -> str:
    async with engine.begin() as db:
        return str(await make_goal(db, user_id=someone.id))


async def create(client: httpx.AsyncClient, owner: Person, **fields: Any) -> dict[str, Any]:
    challenge_input = {
        "title": "March miles",
        "startsOn": TODAY.isoformat(),
        "endsOn": (TODAY + timedelta(days=30)).isoformat(),
    } | fields
    body = await gql(client, CREATE, {"input": challenge_input}, token=owner.token)
    assert "errors" not in body, body
    created: dict[str, Any] = body["data"]["createChallenge"]
    return created


async def challenge_count(engine: AsyncEngine, owner: Person) -> int:
    async with engine.connect() as db:
        count: int = await db.scalar(
            text("SELECT count(*) FROM challenges WHERE owner_id = :u"), {"u": owner.id}
        )
    return count


async def test_an_owner_creates_edits_and_members_join_and_leave(
    client: httpx.AsyncClient, people: list[Person], engine: AsyncEngine
) -> None:
    owner, member, _ = people
    created = await create(client, owner, timezone="Europe/Paris")
    assert created["status"] == "ACTIVE"
    assert created["timezone"] == "Europe/Paris"
    assert created["owner"]["id"] == str(owner.id)
    assert created["viewerParticipation"] == {"role": "OWNER", "status": "ACTIVE", "score": 0}
    challenge_id = created["id"]

    goal = await goal_of(engine, member)
    joined = await gql(client, JOIN, {"id": challenge_id, "goal": goal}, token=member.token)
    assert joined["data"]["joinChallenge"] == {
        "role": "MEMBER",
        "status": "ACTIVE",
        "goalId": goal,
        "score": 0,
    }
    again = await gql(client, JOIN, {"id": challenge_id, "goal": goal}, token=member.token)
    assert again["data"] == joined["data"]

    refused = await gql(
        client, UPDATE, {"id": challenge_id, "input": {"title": "Mine"}}, token=member.token
    )
    assert error_codes(refused) == ["FORBIDDEN"]
    edited = await gql(
        client,
        UPDATE,
        {"id": challenge_id, "input": {"title": "April miles", "maxParticipants": 10}},
        token=owner.token,
    )
    assert edited["data"]["updateChallenge"]["title"] == "April miles"
    read = await gql(client, CHALLENGE, {"id": challenge_id}, token=member.token)
    assert read["data"]["challenge"] == {"title": "April miles", "participantCount": 2}

    left = await gql(client, LEAVE, {"id": challenge_id}, token=member.token)
    assert left["data"]["leaveChallenge"]["status"] == "LEFT"
    read = await gql(client, CHALLENGE, {"id": challenge_id}, token=member.token)
    assert read["data"]["challenge"]["participantCount"] == 1


async def test_a_private_challenge_is_invisible_until_an_invitation(
    client: httpx.AsyncClient, people: list[Person], engine: AsyncEngine
) -> None:
    owner, friend, outsider = people
    challenge_id = (await create(client, owner, visibility="PRIVATE"))["id"]
    goal = await goal_of(engine, friend)

    for query, variables in (
        (CHALLENGE, {"id": challenge_id}),
        (JOIN, {"id": challenge_id, "goal": goal}),
        (UPDATE, {"id": challenge_id, "input": {"title": "x"}}),
        (INVITE, {"id": challenge_id, "user": str(outsider.id)}),
    ):
        body = await gql(client, query, variables, token=friend.token)
        assert error_codes(body) == ["NOT_FOUND"], query
    listed = await gql(client, CHALLENGES, {"joined": False}, token=friend.token)
    assert challenge_id not in {e["node"]["id"] for e in listed["data"]["challenges"]["edges"]}

    invited = await gql(
        client, INVITE, {"id": challenge_id, "user": str(friend.id)}, token=owner.token
    )
    assert invited["data"]["inviteToChallenge"]["status"] == "INVITED"
    async with engine.connect() as db:
        notified = await db.scalar(
            text(
                "SELECT count(*) FROM notification_history "
                "WHERE user_id = :u AND notification_type = 'challenge'"
            ),
            {"u": friend.id},
        )
    assert notified == 1
    notes = await gql(client, "{ notifications { edges { node { title } } } }", token=friend.token)
    titles = [edge["node"]["title"] for edge in notes["data"]["notifications"]["edges"]]
    assert titles == ["invited you to a challenge"]  # nothing the inviter wrote
    read = await gql(client, CHALLENGE, {"id": challenge_id}, token=friend.token)
    assert read["data"]["challenge"]["participantCount"] == 1
    joined = await gql(client, JOIN, {"id": challenge_id, "goal": goal}, token=friend.token)
    assert joined["data"]["joinChallenge"]["status"] == "ACTIVE"
    listed = await gql(client, CHALLENGES, {"joined": True}, token=friend.token)
    assert [e["node"]["id"] for e in listed["data"]["challenges"]["edges"]] == [challenge_id]

    await gql(client, LEAVE, {"id": challenge_id}, token=friend.token)
    body = await gql(client, CHALLENGE, {"id": challenge_id}, token=friend.token)
    assert error_codes(body) == ["NOT_FOUND"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"endsOn": (TODAY - timedelta(days=1)).isoformat()}, "endsOn"),
        ({"endsOn": (TODAY + timedelta(days=400)).isoformat()}, "endsOn"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"timezone": "x" * 10_000}, "timezone"),
        ({"maxParticipants": 0}, "maxParticipants"),
        ({"description": "x" * 2_001}, "description"),
    ],
)
async def test_invalid_challenges_are_refused_and_nothing_is_written(
    client: httpx.AsyncClient,
    people: list[Person],
    engine: AsyncEngine,
    fields: dict[str, Any],
    field: str,
) -> None:
    owner = people[0]
    challenge_input = {
        "title": "March miles",
        "startsOn": TODAY.isoformat(),
        "endsOn": (TODAY + timedelta(days=30)).isoformat(),
    } | fields
    body = await gql(client, CREATE, {"input": challenge_input}, token=owner.token)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["field"] == field
    assert await challenge_count(engine, owner) == 0


async def test_joining_is_refused_with_someone_elses_goal_when_full_or_ended(
    client: httpx.AsyncClient, people: list[Person], engine: AsyncEngine
) -> None:
    owner, member, late = people
    challenge_id = (await create(client, owner, maxParticipants=2))["id"]

    someone_elses = await goal_of(engine, owner)
    body = await gql(client, JOIN, {"id": challenge_id, "goal": someone_elses}, token=member.token)
    assert error_codes(body) == ["NOT_FOUND"]
    body = await gql(client, JOIN, {"id": challenge_id, "goal": "nope"}, token=member.token)
    assert error_codes(body) == ["BAD_USER_INPUT"]

    await gql(client, JOIN, {"id": challenge_id, "goal": await goal_of(engine, member)},
              token=member.token)  # fmt: skip
    body = await gql(
        client, JOIN, {"id": challenge_id, "goal": await goal_of(engine, late)}, token=late.token
    )
    assert error_codes(body) == ["CONFLICT"]
    body = await gql(
        client, UPDATE, {"id": challenge_id, "input": {"maxParticipants": 1}}, token=owner.token
    )
    assert error_codes(body) == ["BAD_USER_INPUT"]

    async with engine.begin() as db:
        await db.execute(
            text(
                "UPDATE challenges SET starts_on = current_date - 10, "
                "ends_on = current_date - 3, max_participants = NULL WHERE id = :c"
            ),
            {"c": uuid.UUID(challenge_id)},
        )
    body = await gql(
        client, JOIN, {"id": challenge_id, "goal": await goal_of(engine, late)}, token=late.token
    )
    assert error_codes(body) == ["BAD_USER_INPUT"]


async def test_the_window_cannot_move_once_the_challenge_has_started(
    client: httpx.AsyncClient, people: list[Person]
) -> None:
    owner = people[0]
    challenge_id = (await create(client, owner))["id"]
    later = (TODAY + timedelta(days=60)).isoformat()
    body = await gql(client, UPDATE, {"id": challenge_id, "input": {"endsOn": later}},
                     token=owner.token)  # fmt: skip
    assert error_codes(body) == ["BAD_USER_INPUT"]

    upcoming = (await create(client, owner, startsOn=(TODAY + timedelta(days=5)).isoformat()))["id"]
    body = await gql(client, UPDATE, {"id": upcoming, "input": {"endsOn": later}},
                     token=owner.token)  # fmt: skip
    assert body["data"]["updateChallenge"]["endsOn"] == later


async def test_challenges_filter_by_status_in_each_challenges_time_zone(
    client: httpx.AsyncClient, people: list[Person], engine: AsyncEngine
) -> None:
    """Kiritimati (UTC+14) is always one or two days ahead of Pago Pago (UTC-11)."""
    owner = people[0]
    kiritimati_today = datetime.now(ZoneInfo("Pacific/Kiritimati")).date()
    async with engine.begin() as db:
        ids = {}
        for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago"):
            ids[zone] = str(
                await db.scalar(
                    text(
                        "INSERT INTO challenges (owner_id, title, starts_on, ends_on, timezone) "
                        "VALUES (:u, 'One day', :d, :d, :z) RETURNING id"
                    ),
                    {"u": owner.id, "d": kiritimati_today, "z": zone},
                )
            )
    for status, zone in (("ACTIVE", "Pacific/Kiritimati"), ("UPCOMING", "Pacific/Pago_Pago")):
        body = await gql(client, CHALLENGES, {"joined": False, "status": status},
                         token=owner.token)  # fmt: skip
        found = {edge["node"]["id"] for edge in body["data"]["challenges"]["edges"]}
        assert ids[zone] in found, status
        assert (set(ids.values()) - {ids[zone]}) & found == set(), status


async def test_invitations_are_rate_limited_per_owner(
    engine: AsyncEngine, settings: Settings, people: list[Person]
) -> None:
    owner = people[0]
    limited = with_rate_limits(settings, invite="2/3600")
    async with engine.begin() as db:
        invitees = [await person(db, settings) for _ in range(3)]
    async with asgi_client(limited) as http:
        challenge_id = (await create(http, owner, visibility="PRIVATE"))["id"]
        codes = [
            error_codes(
                await gql(http, INVITE, {"id": challenge_id, "user": str(i.id)}, token=owner.token)
            )
            for i in invitees
        ]
    assert codes == [[], [], ["RATE_LIMITED"]]


PARTICIPANTS = """query($id: ID!, $invited: Boolean!) { challenge(id: $id) {
  participants(includeInvited: $invited) { edges { node { role status user { id } } } } } }"""
DELETE = "mutation($id: ID!) { deleteChallenge(id: $id) }"


async def test_who_takes_part_is_listed_and_invitations_only_to_the_owner(
    client: httpx.AsyncClient, engine: AsyncEngine, settings: Settings, people: list[Person]
) -> None:
    owner, member, invitee = people
    challenge = (await create(client, owner, visibility="PRIVATE"))["id"]
    for someone in (member, invitee):
        await gql(client, INVITE, {"id": challenge, "user": str(someone.id)}, token=owner.token)
    await gql(client, JOIN, {"id": challenge, "goal": await goal_of(engine, member)},
              token=member.token)  # fmt: skip

    def listed(body: dict[str, Any]) -> list[tuple[str, str, str]]:
        edges = body["data"]["challenge"]["participants"]["edges"]
        return [(e["node"]["role"], e["node"]["status"], e["node"]["user"]["id"]) for e in edges]

    active = [("OWNER", "ACTIVE", str(owner.id)), ("MEMBER", "ACTIVE", str(member.id))]
    seen = await gql(client, PARTICIPANTS, {"id": challenge, "invited": False}, token=member.token)
    assert listed(seen) == active
    everyone = await gql(
        client, PARTICIPANTS, {"id": challenge, "invited": True}, token=owner.token
    )
    assert listed(everyone) == [*active, ("MEMBER", "INVITED", str(invitee.id))]
    nosy = await gql(client, PARTICIPANTS, {"id": challenge, "invited": True}, token=member.token)
    assert error_codes(nosy) == ["FORBIDDEN"]
    async with engine.begin() as db:
        stranger = await person(db, settings)
    hidden = await gql(
        client, PARTICIPANTS, {"id": challenge, "invited": False}, token=stranger.token
    )
    assert error_codes(hidden) == ["NOT_FOUND"]


async def test_only_the_owner_deletes_a_challenge_and_then_it_is_gone_for_everyone(
    client: httpx.AsyncClient, engine: AsyncEngine, people: list[Person]
) -> None:
    owner, member, _ = people
    challenge = (await create(client, owner))["id"]
    await gql(client, JOIN, {"id": challenge, "goal": await goal_of(engine, member)},
              token=member.token)  # fmt: skip
    assert error_codes(await gql(client, DELETE, {"id": challenge}, token=member.token)) == [
        "FORBIDDEN"
    ]
    assert (await gql(client, DELETE, {"id": challenge}, token=owner.token))["data"] == {
        "deleteChallenge": challenge
    }
    for someone in (owner, member):
        gone = await gql(client, CHALLENGE, {"id": challenge}, token=someone.token)
        assert error_codes(gone) == ["NOT_FOUND"]
    assert error_codes(await gql(client, DELETE, {"id": challenge}, token=owner.token)) == [
        "NOT_FOUND"
    ]
    async with engine.connect() as db:
        kept = await db.scalar(
            text("SELECT deleted_at IS NOT NULL FROM challenges WHERE id = :c"), {"c": challenge}
        )
    assert kept  # soft: the row stays
