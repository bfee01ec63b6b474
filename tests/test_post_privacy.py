"""Who may see a post, and how every stream keeps to it: posts that are not public are for
followers their author approved; a disabled account's posts disappear; anything that changes
the answer (unfollow, approval taken back, follower removed, author disabled) ends a
postActivity stream at once; feedEvents never tells a stranger about a post they never saw.
The policy's SQL form and its in-memory form agree on every case."""

import itertools
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from gql.settings import Settings
from models.social import Post
from resolvers import social as social_service
from subscriptions import metrics
from tests.factories import make_post
from tests.graphql import Person, error_codes, gql, people, sql
from tests.live import TransportWsClient, live_server, log_head, metric_total, until

POST = "query($id: ID!) { post(id: $id) { content author { username } } }"
FEED = "{ feed(first: 100) { edges { node { id } } } }"
ACTIVITY = """subscription($post: ID!, $after: String) {
  postActivity(postId: $post, after: $after) { type kind comment { content } } }"""
FEED_EVENTS = "subscription($after: String) { feedEvents(after: $after) { type postId } }"


@pytest.fixture(scope="module")
async def address(settings: Settings) -> AsyncIterator[str]:
    async with live_server(settings) as running:
        yield running


async def private_post(engine: AsyncEngine, author: Person) -> uuid.UUID:
    async with engine.begin() as db:
        return await make_post(
            db, user_id=author.id, content="for approved followers", public=False
        )


async def test_following_is_not_enough_to_read_a_private_post_approval_is(
    client: httpx.AsyncClient, engine: AsyncEngine, settings: Settings
) -> None:
    author, follower = await people(engine, settings, 2)
    post = await private_post(engine, author)
    follow = "mutation($u: ID!) { follow(userId: $u) { id } }"
    assert "errors" not in await gql(client, follow, {"u": str(author.id)}, token=follower.token)
    hidden = await gql(client, POST, {"id": str(post)}, token=follower.token)
    assert error_codes(hidden) == ["NOT_FOUND"]

    approve = """mutation($u: ID!, $yes: Boolean!) {
        approveFollower(userId: $u, approved: $yes) { id approvedByViewer } }"""
    approved = await gql(client, approve, {"u": str(follower.id), "yes": True}, token=author.token)
    assert approved["data"]["approveFollower"]["approvedByViewer"] is True
    shown = await gql(client, POST, {"id": str(post)}, token=follower.token)
    assert shown["data"]["post"]["content"] == "for approved followers"
    feed = await gql(client, FEED, token=follower.token)
    assert str(post) in [edge["node"]["id"] for edge in feed["data"]["feed"]["edges"]]

    await gql(client, approve, {"u": str(follower.id), "yes": False}, token=author.token)
    again = await gql(client, POST, {"id": str(post)}, token=follower.token)
    assert error_codes(again) == ["NOT_FOUND"]


async def test_approving_or_removing_someone_who_does_not_follow_you(
    client: httpx.AsyncClient, engine: AsyncEngine, settings: Settings
) -> None:
    author, stranger = await people(engine, settings, 2)
    approve = "mutation($u: ID!) { approveFollower(userId: $u) { id } }"
    body = await gql(client, approve, {"u": str(stranger.id)}, token=author.token)
    assert error_codes(body) == ["NOT_FOUND"]
    remove = "mutation($u: ID!) { removeFollower(userId: $u) }"
    assert (await gql(client, remove, {"u": str(stranger.id)}, token=author.token))["data"]


async def test_a_disabled_account_disappears_as_a_person_its_comments_stay_authorless(
    client: httpx.AsyncClient, engine: AsyncEngine, settings: Settings
) -> None:
    author, commenter, reader = await people(engine, settings, 3)
    async with engine.begin() as db:
        own_post = await make_post(db, user_id=commenter.id, content="by the disabled one")
        other_post = await make_post(db, user_id=author.id, content="commented on")
        await db.execute(
            text("INSERT INTO comments (post_id, user_id, content) VALUES (:p, :u, 'hi')"),
            {"p": other_post, "u": commenter.id},
        )
        await db.execute(
            text("INSERT INTO follows (follower_id, following_id) VALUES (:u, :a), (:a, :u)"),
            {"u": commenter.id, "a": author.id},
        )
    await sql(engine, "UPDATE users SET is_active = false WHERE id = :u", u=commenter.id)

    gone = await gql(client, POST, {"id": str(own_post)}, token=reader.token)
    assert error_codes(gone) == ["NOT_FOUND"]
    feed = await gql(client, FEED, token=reader.token)
    assert str(own_post) not in [edge["node"]["id"] for edge in feed["data"]["feed"]["edges"]]
    thread = await gql(
        client,
        """query($id: ID!) { post(id: $id) { commentsCount comments { edges { node {
            content author { username } } } } } }""",
        {"id": str(other_post)},
        token=reader.token,
    )
    comments = thread["data"]["post"]["comments"]["edges"]
    assert [edge["node"] for edge in comments] == [{"content": "hi", "author": None}]
    assert thread["data"]["post"]["commentsCount"] == 1
    profile = await gql(
        client,
        """query($id: ID!) { user(id: $id) { followersCount followingCount
            followers { edges { node { id } } } following { edges { node { id } } } } }""",
        {"id": str(author.id)},
        token=reader.token,
    )
    assert profile["data"]["user"] == {
        "followersCount": 0,
        "followingCount": 0,
        "followers": {"edges": []},
        "following": {"edges": []},
    }


async def watching(
    address: str, engine: AsyncEngine, viewer: Person, post: uuid.UUID
) -> tuple[TransportWsClient, Any]:
    variables = {"post": str(post), "after": await log_head(engine)}
    client_context = TransportWsClient.connect(address, viewer.token)
    client = await client_context.__aenter__()
    await client.subscribe(ACTIVITY, variables)
    return client, client_context


async def ends_with_post_deleted(client: TransportWsClient) -> None:
    """Skips activity until POST DELETED, then the stream is complete: nothing more comes."""
    while True:
        message = await client.message()
        assert message["type"] == "next", message
        event = message["payload"]["data"]["postActivity"]
        if event == {"type": "DELETED", "kind": "POST", "comment": None}:
            break
    assert (await client.message())["type"] == "complete"


CHANGES = {
    "follower unfollows": "DELETE FROM follows WHERE follower_id = :v AND following_id = :a",
    "author takes approval back": (
        "UPDATE follows SET approved_at = NULL WHERE follower_id = :v AND following_id = :a"
    ),
    "author disabled": "UPDATE users SET is_active = false WHERE id = :a",
}


@pytest.mark.parametrize("change", list(CHANGES))
async def test_post_activity_ends_as_soon_as_the_viewer_may_no_longer_see_the_post(
    address: str, engine: AsyncEngine, settings: Settings, change: str
) -> None:
    author, viewer = await people(engine, settings, 2)
    await sql(
        engine,
        "INSERT INTO follows (follower_id, following_id, approved_at) VALUES (:v, :a, now())",
        v=viewer.id,
        a=author.id,
    )
    post = await private_post(engine, author)
    client, connection = await watching(address, engine, viewer, post)
    try:
        await sql(
            engine,
            "INSERT INTO comments (post_id, user_id, content) VALUES (:p, :a, 'seen')",
            p=post,
            a=author.id,
        )
        seen: list[dict[str, str]] = []
        while not seen:
            event = (await client.next_data())["postActivity"]
            seen = [event["comment"]] if event["comment"] else []
        assert seen == [{"content": "seen"}]
        await sql(engine, CHANGES[change], v=viewer.id, a=author.id)
        await sql(
            engine,
            "INSERT INTO comments (post_id, user_id, content) VALUES (:p, :a, 'not for you')",
            p=post,
            a=author.id,
        )
        await ends_with_post_deleted(client)
    finally:
        await connection.__aexit__(None, None, None)


async def test_feed_events_tell_only_those_who_saw_a_post_that_it_is_gone(
    address: str, engine: AsyncEngine, settings: Settings
) -> None:
    author, approved, stranger = await people(engine, settings, 3)
    await sql(
        engine,
        "INSERT INTO follows (follower_id, following_id, approved_at) VALUES (:v, :a, now())",
        v=approved.id,
        a=author.id,
    )
    post = await private_post(engine, author)
    head = await log_head(engine)
    async with (
        TransportWsClient.connect(address, approved.token) as friend,
        TransportWsClient.connect(address, stranger.token) as outsider,
    ):
        await friend.subscribe(FEED_EVENTS, {"after": head})
        await outsider.subscribe(FEED_EVENTS, {"after": head})
        await sql(engine, "UPDATE posts SET deleted_at = now() WHERE id = :p", p=post)
        async with engine.begin() as db:
            marker = await make_post(db, user_id=author.id, content="public marker")
        assert (await friend.next_data())["feedEvents"] == {"type": "DELETED", "postId": str(post)}
        # The stranger's next event is the public marker: no word of the private post.
        assert (await outsider.next_data())["feedEvents"] == {
            "type": "CREATED",
            "postId": str(marker),
        }


async def test_the_posts_policy_reads_the_same_in_sql_and_in_memory(
    engine: AsyncEngine, settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    author, approved, unapproved, stranger, inactive = await people(engine, settings, 5)
    await sql(
        engine,
        "INSERT INTO follows (follower_id, following_id, approved_at) VALUES "
        "(:p, :a, now()), (:u, :a, NULL), (:p, :i, now())",
        p=approved.id,
        u=unapproved.id,
        a=author.id,
        i=inactive.id,
    )
    posts = []
    async with engine.begin() as db:
        for writer, public, deleted in itertools.product(
            (author, inactive), (True, False), (True, False)
        ):
            post_id = await make_post(db, user_id=writer.id, content="case", public=public)
            if deleted:
                await db.execute(
                    text("UPDATE posts SET deleted_at = now() WHERE id = :p"), {"p": post_id}
                )
            posts.append(post_id)
    await sql(engine, "UPDATE users SET is_active = false WHERE id = :u", u=inactive.id)
    async with sessionmaker() as session:
        for viewer in (author.id, approved.id, unapproved.id, stranger.id, inactive.id, None):
            in_sql = set(
                await session.scalars(
                    select(Post.id).where(Post.id.in_(posts), social_service.visible_posts(viewer))
                )
            )
            audience = await social_service.audience_of(session=session, viewer_id=viewer)
            in_memory = set()
            for post_id in posts:
                state = await social_service.post_state(session=session, post_id=post_id)
                assert state is not None
                if audience.sees(
                    author_id=state.post.user_id,
                    is_public=state.post.is_public,
                    deleted=state.post.deleted_at is not None,
                    author_active=state.author_active,
                ):
                    in_memory.add(post_id)
            assert in_sql == in_memory, viewer
            assert in_sql, viewer  # every viewer sees something: the comparison is not empty


async def test_everyone_watching_a_public_post_together_is_told_when_its_author_is_disabled(
    address: str, engine: AsyncEngine, settings: Settings
) -> None:
    author, first, second = await people(engine, settings, 3)
    async with engine.begin() as db:
        post = await make_post(db, user_id=author.id, content="public")
    async with (
        TransportWsClient.connect(address, first.token) as one,
        TransportWsClient.connect(address, second.token) as two,
    ):
        members = metric_total(metrics.GROUP_MEMBERS)
        for client in (one, two):  # from now: they share one group stream
            await client.subscribe(ACTIVITY, {"post": str(post)})
        await until(lambda: metric_total(metrics.GROUP_MEMBERS) >= members + 2, "both in the group")
        await sql(
            engine,
            "INSERT INTO likes (post_id, user_id) VALUES (:p, :u)",
            p=post,
            u=first.id,
        )
        for client in (one, two):
            assert (await client.next_data())["postActivity"]["kind"] in {"REACTION", "POST"}
        await sql(engine, "UPDATE users SET is_active = false WHERE id = :a", a=author.id)
        for client in (one, two):
            await ends_with_post_deleted(client)
