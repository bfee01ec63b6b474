"""Posts, comments, reactions and follows: idempotent, exact under concurrency, notifying."""

import asyncio
import uuid

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from gql.settings import Settings
from tests.graphql import Person, error_codes, gql, people

CREATE_POST = (
    "mutation($input: CreatePostInput!) { createPost(input: $input) { id content isPublic } }"
)
REACT = """
mutation($post: ID!, $reaction: Reaction!) {
  react(postId: $post, reaction: $reaction) { likesCount viewerReaction }
}
"""
UNREACT = "mutation($post: ID!) { unreact(postId: $post) { likesCount viewerReaction } }"
COMMENT = "mutation($post: ID!, $c: String!) { addComment(postId: $post, content: $c) { id } }"
FOLLOW = "mutation($u: ID!) { follow(userId: $u) { id followersCount viewerIsFollowing } }"
UNFOLLOW = "mutation($u: ID!) { unfollow(userId: $u) { followersCount viewerIsFollowing } }"


async def new_post(client: httpx.AsyncClient, author: Person, content: str = "Day 1") -> str:
    body = await gql(client, CREATE_POST, {"input": {"content": content}}, token=author.token)
    post_id: str = body["data"]["createPost"]["id"]
    return post_id


async def notifications_of(engine: AsyncEngine, user: Person) -> list[tuple[str, uuid.UUID]]:
    """The user's notifications that someone else caused (achievements have no actor)."""
    async with engine.connect() as db:
        rows = await db.execute(
            text(
                "SELECT notification_type, actor_id FROM notification_history "
                "WHERE user_id = :u AND actor_id IS NOT NULL ORDER BY created_at, id"
            ),
            {"u": user.id},
        )
        return [(row.notification_type, row.actor_id) for row in rows]


async def test_posts_are_created_edited_and_soft_deleted_by_their_author(
    client: httpx.AsyncClient, engine: AsyncEngine, settings: Settings
) -> None:
    author, other = await people(engine, settings, 2)
    post_id = await new_post(client, author)
    edit = 'mutation($id: ID!) { updatePost(id: $id, input: {content: "Edited"}) { content } }'
    assert error_codes(await gql(client, edit, {"id": post_id}, token=other.token)) == ["FORBIDDEN"]
    edited = await gql(client, edit, {"id": post_id}, token=author.token)
    assert edited["data"]["updatePost"] == {"content": "Edited"}

    delete = "mutation($id: ID!) { deletePost(id: $id) }"
    assert error_codes(await gql(client, delete, {"id": post_id}, token=other.token)) == [
        "FORBIDDEN"
    ]
    assert (await gql(client, delete, {"id": post_id}, token=author.token))["data"] == {
        "deletePost": post_id
    }
    gone = await gql(client, "query($id: ID!) { post(id: $id) { id } }", {"id": post_id})
    assert error_codes(gone) == ["NOT_FOUND"]
    async with engine.connect() as db:
        kept = await db.scalar(
            text("SELECT deleted_at IS NOT NULL FROM posts WHERE id = :id"), {"id": post_id}
        )
    assert kept is True


@pytest.mark.parametrize(
    ("post_input", "field"),
    [
        ({"content": "x" * 10_001}, "content"),
        ({"content": "   "}, "content"),
        ({"content": "hi", "mediaUrl": "javascript:alert(1)"}, "mediaUrl"),
    ],
)
async def test_invalid_posts_are_refused(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    settings: Settings,
    post_input: dict[str, str],
    field: str,
) -> None:
    (author,) = await people(engine, settings, 1)
    body = await gql(client, CREATE_POST, {"input": post_input}, token=author.token)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["field"] == field
    async with engine.connect() as db:
        assert (
            await db.scalar(text("SELECT count(*) FROM posts WHERE user_id = :u"), {"u": author.id})
            == 0
        )


async def test_reacting_is_idempotent_changeable_and_undoable(
    client: httpx.AsyncClient, engine: AsyncEngine, settings: Settings
) -> None:
    author, fan = await people(engine, settings, 2)
    post_id = await new_post(client, author)
    for reaction, expected in (("LIKE", "LIKE"), ("LIKE", "LIKE"), ("CHEER", "CHEER")):
        body = await gql(client, REACT, {"post": post_id, "reaction": reaction}, token=fan.token)
        assert body["data"]["react"] == {"likesCount": 1, "viewerReaction": expected}
    for _ in range(2):
        body = await gql(client, UNREACT, {"post": post_id}, token=fan.token)
        assert body["data"]["unreact"] == {"likesCount": 0, "viewerReaction": None}
    assert await notifications_of(engine, author) == [("reaction", fan.id)]


async def test_50_concurrent_reactions_from_different_users_count_exactly(
    client: httpx.AsyncClient, engine: AsyncEngine, settings: Settings
) -> None:
    author, *fans = await people(engine, settings, 51)
    post_id = await new_post(client, author)
    results = await asyncio.gather(
        *(gql(client, REACT, {"post": post_id, "reaction": "LOVE"}, token=f.token) for f in fans)
    )
    assert all("errors" not in body for body in results)
    counted = await gql(client, "query($id: ID!) { post(id: $id) { likesCount } }", {"id": post_id})
    assert counted["data"]["post"]["likesCount"] == 50


async def test_one_user_reacting_from_two_connections_at_once_leaves_one_row(
    client: httpx.AsyncClient, engine: AsyncEngine, settings: Settings
) -> None:
    author, fan = await people(engine, settings, 2)
    post_id = await new_post(client, author)
    results = await asyncio.gather(
        *(
            gql(client, REACT, {"post": post_id, "reaction": r}, token=fan.token)
            for r in ("LIKE", "CHEER") * 5
        )
    )
    assert all("errors" not in body for body in results)
    async with engine.connect() as db:
        rows = await db.scalar(
            text("SELECT count(*) FROM likes WHERE post_id = :p"), {"p": post_id}
        )
        counter = await db.scalar(
            text("SELECT likes_count FROM posts WHERE id = :p"), {"p": post_id}
        )
    assert (rows, counter) == (1, 1)
    assert await notifications_of(engine, author) == [("reaction", fan.id)]


async def test_comments_notify_the_author_and_can_be_deleted_by_the_post_author(
    client: httpx.AsyncClient, engine: AsyncEngine, settings: Settings
) -> None:
    author, commenter, stranger = await people(engine, settings, 3)
    post_id = await new_post(client, author)
    body = await gql(client, COMMENT, {"post": post_id, "c": "Nice"}, token=commenter.token)
    comment_id = body["data"]["addComment"]["id"]
    await gql(client, COMMENT, {"post": post_id, "c": "Thanks"}, token=author.token)
    too_long = await gql(client, COMMENT, {"post": post_id, "c": "x" * 2001}, token=author.token)
    assert error_codes(too_long) == ["BAD_USER_INPUT"]
    assert await notifications_of(engine, author) == [("comment", commenter.id)]

    edit = 'mutation($id: ID!) { updateComment(id: $id, content: "Edited") { content } }'
    assert error_codes(await gql(client, edit, {"id": comment_id}, token=author.token)) == [
        "FORBIDDEN"
    ]
    delete = "mutation($id: ID!) { deleteComment(id: $id) }"
    assert error_codes(await gql(client, delete, {"id": comment_id}, token=stranger.token)) == [
        "FORBIDDEN"
    ]
    assert "errors" not in await gql(client, delete, {"id": comment_id}, token=author.token)
    counted = await gql(
        client, "query($id: ID!) { post(id: $id) { commentsCount } }", {"id": post_id}
    )
    assert counted["data"]["post"]["commentsCount"] == 1


async def test_following_is_idempotent_and_notifies_once(
    client: httpx.AsyncClient, engine: AsyncEngine, settings: Settings
) -> None:
    star, fan = await people(engine, settings, 2)
    for _ in range(2):
        body = await gql(client, FOLLOW, {"u": str(star.id)}, token=fan.token)
        assert body["data"]["follow"]["followersCount"] == 1
        assert body["data"]["follow"]["viewerIsFollowing"] is True
    assert await notifications_of(engine, star) == [("follow", fan.id)]
    for _ in range(2):
        body = await gql(client, UNFOLLOW, {"u": str(star.id)}, token=fan.token)
        assert body["data"]["unfollow"] == {"followersCount": 0, "viewerIsFollowing": False}
    itself = await gql(client, FOLLOW, {"u": str(fan.id)}, token=fan.token)
    assert error_codes(itself) == ["BAD_USER_INPUT"]
    nobody = await gql(client, FOLLOW, {"u": str(uuid.uuid4())}, token=fan.token)
    assert error_codes(nobody) == ["NOT_FOUND"]


async def test_mark_notifications_read_touches_only_the_viewers_own(
    client: httpx.AsyncClient, engine: AsyncEngine, settings: Settings
) -> None:
    star, fan, other = await people(engine, settings, 3)
    await gql(client, FOLLOW, {"u": str(star.id)}, token=fan.token)
    await gql(client, FOLLOW, {"u": str(other.id)}, token=fan.token)
    mine = await gql(client, "{ notifications { edges { node { id } } } }", token=star.token)
    theirs = await gql(client, "{ notifications { edges { node { id } } } }", token=other.token)
    ids = [e["node"]["id"] for e in mine["data"]["notifications"]["edges"]]
    other_ids = [e["node"]["id"] for e in theirs["data"]["notifications"]["edges"]]
    mark = "mutation($ids: [ID!]!) { markNotificationsRead(ids: $ids) }"
    body = await gql(client, mark, {"ids": ids + other_ids}, token=star.token)
    assert body["data"]["markNotificationsRead"] == 1
    again = await gql(client, mark, {"ids": ids}, token=star.token)
    assert again["data"]["markNotificationsRead"] == 0
    unread = await gql(
        client, "{ notifications(unreadOnly: true) { edges { node { id } } } }", token=other.token
    )
    assert len(unread["data"]["notifications"]["edges"]) == 1


async def test_feed_preferences_update_partially(
    client: httpx.AsyncClient, engine: AsyncEngine, settings: Settings
) -> None:
    (viewer,) = await people(engine, settings, 1)
    update = """
    mutation($input: FeedPreferencesInput!) {
      updateFeedPreferences(input: $input) { showFollowingOnly showAiPosts categories }
    }
    """
    first = await gql(client, update, {"input": {"showFollowingOnly": True}}, token=viewer.token)
    assert first["data"]["updateFeedPreferences"] == {
        "showFollowingOnly": True,
        "showAiPosts": True,
        "categories": [],
    }
    second = await gql(client, update, {"input": {"categories": ["fitness"]}}, token=viewer.token)
    assert second["data"]["updateFeedPreferences"]["showFollowingOnly"] is True
    assert second["data"]["updateFeedPreferences"]["categories"] == ["fitness"]
