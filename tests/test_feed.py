"""The feed: whose posts, in what order, stable pages, and a constant number of SQL queries."""

import uuid
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from gql.settings import Settings
from tests.factories import insert_returning_id
from tests.graphql import Person, asgi_app, counting_statements, gql, person

FEED = """
query Feed($first: Int, $after: String) {
  feed(first: $first, after: $after) {
    edges { cursor node { id content } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


async def post(
    db: AsyncConnection,
    author: Person,
    content: str,
    *,
    is_public: bool = True,
    deleted: bool = False,
    age: int = 0,
) -> uuid.UUID:
    """A post written `age` seconds ago."""
    return await insert_returning_id(
        db,
        "INSERT INTO posts (user_id, content, is_public, deleted_at, created_at) "
        "VALUES (:user_id, :content, :is_public, CASE WHEN :deleted THEN now() END, "
        "now() - make_interval(secs => :age))",
        user_id=author.id,
        content=content,
        is_public=is_public,
        deleted=deleted,
        age=age,
    )


async def set_following_only(db: AsyncConnection, user: Person, value: bool) -> None:
    await db.execute(
        text(
            "INSERT INTO feed_preferences (user_id, show_following_only) VALUES (:u, :v) "
            "ON CONFLICT (user_id) DO UPDATE SET show_following_only = EXCLUDED.show_following_only"
        ),
        {"u": user.id, "v": value},
    )


def contents(body: dict[str, Any]) -> list[str]:
    return [edge["node"]["content"] for edge in body["data"]["feed"]["edges"]]


async def whole_feed(client: httpx.AsyncClient, token: str) -> list[str]:
    """Every post of the viewer's feed, page after page (other tests' public posts are in
    it too, however many there are)."""
    found: list[str] = []
    after = None
    while True:
        body = await gql(client, FEED, {"first": 100, "after": after}, token=token)
        found += contents(body)
        page = body["data"]["feed"]["pageInfo"]
        if not page["hasNextPage"]:
            return found
        after = page["endCursor"]


async def test_feed_holds_own_followed_and_public_posts_newest_first(
    client: httpx.AsyncClient, engine: AsyncEngine, settings: Settings
) -> None:
    async with engine.begin() as db:
        viewer, friend, stranger, followed = [await person(db, settings) for _ in range(4)]
        await db.execute(
            text(
                "INSERT INTO follows (follower_id, following_id, approved_at) "
                "VALUES (:a, :b, now()), (:a, :c, NULL)"
            ),
            {"a": viewer.id, "b": friend.id, "c": followed.id},
        )
        await post(db, friend, "friend private", is_public=False, age=5)
        # Following is not enough: private posts are for followers their author approved.
        await post(db, followed, "unapproved private", is_public=False, age=5)
        await post(db, stranger, "stranger public", age=4)
        await post(db, stranger, "stranger private", is_public=False, age=3)
        await post(db, viewer, "mine", age=2)
        await post(db, friend, "friend deleted", deleted=True, age=1)

    everyone = await whole_feed(client, viewer.token)
    ours = [c for c in everyone if c in {"friend private", "stranger public", "mine"}]
    assert ours == ["mine", "stranger public", "friend private"]
    assert "stranger private" not in everyone
    assert "unapproved private" not in everyone
    assert "friend deleted" not in everyone

    async with engine.begin() as db:
        await set_following_only(db, viewer, True)
    following = await whole_feed(client, viewer.token)
    assert following == ["mine", "friend private"]


async def test_feed_pages_stay_stable_while_new_posts_arrive(
    client: httpx.AsyncClient, engine: AsyncEngine, settings: Settings
) -> None:
    async with engine.begin() as db:
        viewer = await person(db, settings)
        await set_following_only(db, viewer, True)
        for n in range(7):
            await post(db, viewer, f"post {n}", age=100 - n)
    first_page = await gql(client, FEED, {"first": 3}, token=viewer.token)
    assert contents(first_page) == ["post 6", "post 5", "post 4"]
    assert first_page["data"]["feed"]["pageInfo"]["hasNextPage"] is True

    async with engine.begin() as db:
        await post(db, viewer, "brand new")
    cursor = first_page["data"]["feed"]["pageInfo"]["endCursor"]
    second_page = await gql(client, FEED, {"first": 3, "after": cursor}, token=viewer.token)
    assert contents(second_page) == ["post 3", "post 2", "post 1"]
    last = second_page["data"]["feed"]["pageInfo"]["endCursor"]
    third_page = await gql(client, FEED, {"first": 3, "after": last}, token=viewer.token)
    assert contents(third_page) == ["post 0"]
    assert third_page["data"]["feed"]["pageInfo"] == {
        "hasNextPage": False,
        "endCursor": third_page["data"]["feed"]["edges"][0]["cursor"],
    }


async def following_only(
    db: AsyncConnection, settings: Settings, viewer: Person, count: int
) -> list[Person]:
    """That many new authors the viewer follows, and a feed of followed people only."""
    authors = [await person(db, settings) for _ in range(count)]
    await set_following_only(db, viewer, True)
    for author in authors:
        await db.execute(
            text("INSERT INTO follows (follower_id, following_id) VALUES (:a, :b)"),
            {"a": viewer.id, "b": author.id},
        )
    return authors


NESTED = """query($first: Int) { feed(first: $first) { edges { node { author {
    posts(first: 3) { edges { node { id } } }
    followers(first: 2) { edges { node { username } } }
    following(first: 2) { edges { node { username } } } } } } } }"""


async def test_connections_nested_under_a_list_cost_one_statement_each_not_one_per_parent(
    engine: AsyncEngine, settings: Settings
) -> None:
    async with engine.begin() as db:
        viewer = await person(db, settings)
        authors = await following_only(db, settings, viewer, 4)
        for n in range(24):
            await post(db, authors[n % len(authors)], f"nested {n}")

    counts = []
    async with asgi_app(settings) as (http, app_engine):
        await gql(http, "{ goalTemplates { id } }")  # warm the pool
        for first in (2, 20):
            with counting_statements(app_engine) as statements:
                body = await gql(http, NESTED, {"first": first}, token=viewer.token)
            counts.append(len(statements))
            edges = body["data"]["feed"]["edges"]
            assert len(edges) == first
            for edge in edges:
                author = edge["node"]["author"]
                assert len(author["posts"]["edges"]) == 3
                assert len(author["followers"]["edges"]) == 1  # the viewer
                assert author["following"]["edges"] == []
    # viewer, preferences, posts page, authors, their posts, followers, following (and the
    # users of those lists, when not loaded already): the same for 2 and for 20 posts.
    assert counts[0] == counts[1] <= 8, counts
