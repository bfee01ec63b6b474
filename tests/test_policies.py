"""Authorization replacing the seed's RLS: one allowed and one refused case per policy.

Another user's private object answers NOT_FOUND, never revealing that it exists.
"""

import uuid
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from gql.settings import Settings
from tests.factories import insert_returning_id, make_goal, make_post
from tests.graphql import Person, error_codes, gql, person


@dataclass(frozen=True)
class World:
    owner: Person
    follower: Person
    stranger: Person
    admin: Person
    goal: uuid.UUID
    public_post: uuid.UUID
    private_post: uuid.UUID
    deleted_post: uuid.UUID
    notification: uuid.UUID


@pytest.fixture(scope="module")
async def world(engine: AsyncEngine, settings: Settings) -> World:
    async with engine.begin() as db:
        owner = await person(db, settings)
        follower = await person(db, settings)
        stranger = await person(db, settings)
        admin = await person(db, settings)
        await db.execute(
            text(
                "INSERT INTO follows (follower_id, following_id, approved_at) "
                "VALUES (:a, :b, now())"
            ),
            {"a": follower.id, "b": owner.id},
        )
        await db.execute(
            text("INSERT INTO admin_users (user_id, role) VALUES (:u, 'admin')"), {"u": admin.id}
        )
        goal = await make_goal(db, user_id=owner.id)
        await db.execute(
            text(
                "INSERT INTO check_ins (goal_id, user_id, date, completed) "
                "VALUES (:g, :u, current_date, true)"
            ),
            {"g": goal, "u": owner.id},
        )
        await db.execute(
            text("INSERT INTO motivations (user_id, goal_id, message) VALUES (:u, :g, 'Go')"),
            {"u": owner.id, "g": goal},
        )
        public_post = await make_post(db, user_id=owner.id, content="public")
        private_post = await insert_returning_id(
            db,
            "INSERT INTO posts (user_id, content, is_public) VALUES (:u, 'followers', false)",
            u=owner.id,
        )
        deleted_post = await insert_returning_id(
            db,
            "INSERT INTO posts (user_id, content, deleted_at) VALUES (:u, 'gone', now())",
            u=owner.id,
        )
        notification = await insert_returning_id(
            db,
            "INSERT INTO notification_history (user_id, actor_id, notification_type, title) "
            "VALUES (:u, :a, 'follow', 'New follower')",
            u=owner.id,
            a=follower.id,
        )
        await db.execute(
            text("INSERT INTO audit_logs (action, resource_type) VALUES ('test', 'user')")
        )
    return World(
        owner,
        follower,
        stranger,
        admin,
        goal,
        public_post,
        private_post,
        deleted_post,
        notification,
    )


GOAL = "query($id: ID!) { goal(id: $id) { id title checkIns { edges { node { completed } } } } }"
GOALS = "{ goals { edges { node { id } } } }"
CHECK_INS = "query($goal: ID) { checkIns(goalId: $goal) { edges { node { id } } } }"
MOTIVATIONS = "{ motivations { edges { node { message } } } }"
NOTIFICATIONS = "{ notifications { edges { node { id type title actor { id } } } } }"
POST = "query($id: ID!) { post(id: $id) { id content } }"
AUDIT = "{ auditLogs { edges { node { action } } } }"
ME = "{ me { email feedPreferences { showFollowingOnly } subscription { plan } } }"


async def test_goals_are_their_owners_only(client: httpx.AsyncClient, world: World) -> None:
    mine = await gql(client, GOAL, {"id": str(world.goal)}, token=world.owner.token)
    assert mine["data"]["goal"]["checkIns"]["edges"][0]["node"]["completed"] is True
    theirs = await gql(client, GOAL, {"id": str(world.goal)}, token=world.stranger.token)
    assert error_codes(theirs) == ["NOT_FOUND"]
    anonymous = await gql(client, GOAL, {"id": str(world.goal)})
    assert error_codes(anonymous) == ["UNAUTHENTICATED"]
    stranger_list = await gql(client, GOALS, token=world.stranger.token)
    assert stranger_list["data"]["goals"]["edges"] == []


async def test_check_ins_are_their_owners_only(client: httpx.AsyncClient, world: World) -> None:
    mine = await gql(client, CHECK_INS, {"goal": str(world.goal)}, token=world.owner.token)
    assert len(mine["data"]["checkIns"]["edges"]) == 1
    theirs = await gql(client, CHECK_INS, {"goal": str(world.goal)}, token=world.stranger.token)
    assert error_codes(theirs) == ["NOT_FOUND"]
    all_of_stranger = await gql(client, CHECK_INS, {}, token=world.stranger.token)
    assert all_of_stranger["data"]["checkIns"]["edges"] == []


async def test_motivations_are_their_owners_only(client: httpx.AsyncClient, world: World) -> None:
    mine = await gql(client, MOTIVATIONS, token=world.owner.token)
    assert [e["node"]["message"] for e in mine["data"]["motivations"]["edges"]] == ["Go"]
    theirs = await gql(client, MOTIVATIONS, token=world.stranger.token)
    assert theirs["data"]["motivations"]["edges"] == []
    assert error_codes(await gql(client, MOTIVATIONS)) == ["UNAUTHENTICATED"]


async def test_notifications_are_their_owners_only(client: httpx.AsyncClient, world: World) -> None:
    mine = await gql(client, NOTIFICATIONS, token=world.owner.token)
    edges = mine["data"]["notifications"]["edges"]
    (edge,) = [edge for edge in edges if edge["node"]["type"] != "achievement"]
    assert edge["node"]["actor"]["id"] == str(world.follower.id)
    theirs = await gql(client, NOTIFICATIONS, token=world.follower.token)
    assert theirs["data"]["notifications"]["edges"] == []
    assert error_codes(await gql(client, NOTIFICATIONS)) == ["UNAUTHENTICATED"]


async def test_private_account_fields_are_the_viewers_own(
    client: httpx.AsyncClient, world: World
) -> None:
    mine = await gql(client, ME, token=world.owner.token)
    assert mine["data"]["me"]["feedPreferences"] == {"showFollowingOnly": False}
    assert mine["data"]["me"]["subscription"] is None
    profile = await gql(
        client, "query($id: ID!) { user(id: $id) { email } }", {"id": str(world.owner.id)}
    )
    assert error_codes(profile) == ["BAD_USER_INPUT"]  # a public profile has no email field


async def test_public_posts_are_for_anyone_including_anonymous(
    client: httpx.AsyncClient, world: World
) -> None:
    for token in (None, world.stranger.token, world.owner.token):
        body = await gql(client, POST, {"id": str(world.public_post)}, token=token)
        assert body["data"]["post"]["content"] == "public"


async def test_non_public_posts_are_for_their_author_and_followers(
    client: httpx.AsyncClient, world: World
) -> None:
    for token in (world.owner.token, world.follower.token):
        body = await gql(client, POST, {"id": str(world.private_post)}, token=token)
        assert body["data"]["post"]["content"] == "followers"
    for outsider in (world.stranger.token, None):
        body = await gql(client, POST, {"id": str(world.private_post)}, token=outsider)
        assert error_codes(body) == ["NOT_FOUND"]


async def test_soft_deleted_posts_are_gone_for_everyone(
    client: httpx.AsyncClient, world: World
) -> None:
    body = await gql(client, POST, {"id": str(world.deleted_post)}, token=world.owner.token)
    assert error_codes(body) == ["NOT_FOUND"]


async def test_a_profile_lists_only_the_posts_the_viewer_may_see(
    client: httpx.AsyncClient, world: World
) -> None:
    query = "query($id: ID!) { user(id: $id) { posts { edges { node { content } } } } }"

    async def contents(token: str | None) -> set[str]:
        body = await gql(client, query, {"id": str(world.owner.id)}, token=token)
        return {edge["node"]["content"] for edge in body["data"]["user"]["posts"]["edges"]}

    assert await contents(world.follower.token) == {"public", "followers"}
    assert await contents(None) == {"public"}


async def test_admin_tables_are_for_admins(client: httpx.AsyncClient, world: World) -> None:
    allowed = await gql(client, AUDIT, token=world.admin.token)
    assert allowed["data"]["auditLogs"]["edges"]
    assert error_codes(await gql(client, AUDIT, token=world.owner.token)) == ["FORBIDDEN"]
    assert error_codes(await gql(client, AUDIT)) == ["UNAUTHENTICATED"]


async def test_disabled_users_profiles_are_not_found(
    client: httpx.AsyncClient, engine: AsyncEngine, settings: Settings
) -> None:
    async with engine.begin() as db:
        gone = await person(db, settings)
        await db.execute(text("UPDATE users SET is_active = false WHERE id = :id"), {"id": gone.id})
    body = await gql(client, "query($id: ID!) { user(id: $id) { id } }", {"id": str(gone.id)})
    assert error_codes(body) == ["NOT_FOUND"]


async def test_draft_blog_posts_are_for_staff(
    client: httpx.AsyncClient, engine: AsyncEngine, world: World
) -> None:
    slug = f"draft-{uuid.uuid4().hex[:8]}"
    async with engine.begin() as db:
        await db.execute(
            text(
                "INSERT INTO blog_posts (title, slug, content, author_id) "
                "VALUES ('Draft', :slug, 'Body', :author)"
            ),
            {"slug": slug, "author": world.admin.id},
        )
    query = "query($slug: String!) { blogPost(slug: $slug) { title author { id } } }"
    staff = await gql(client, query, {"slug": slug}, token=world.admin.token)
    assert staff["data"]["blogPost"]["author"]["id"] == str(world.admin.id)
    assert error_codes(await gql(client, query, {"slug": slug}, token=world.owner.token)) == [
        "NOT_FOUND"
    ]
