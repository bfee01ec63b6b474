"""Statement budgets of the hot queries (bench/hot_queries.py): each costs the same number of
SQL statements for a page of 3 and a page of 12, and no more than its budget."""

import gc
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bench.hot_queries import HOT_QUERIES, variables_of
from gql.settings import Settings
from models.social import Post as PostModel
from models.users import User as UserModel
from tests.factories import check_in_on, insert_returning_id, make_goal, make_post
from tests.graphql import Person, asgi_app, counting_statements, gql, person

BUDGETS = {
    # the viewer's account, then one statement per relation the selection reaches
    "__typename": 1,
    "feed": 5,  # posts (feed preferences within), reactions, first comments, their authors
    "User.posts": 7,  # user, followers count, posts, reactions, first comments, authors
    "Post.comments": 5,  # post, first comments, authors, their followers
    "goals": 5,  # goals, completed dates, plans, first check-ins of every goal
    "notifications": 3,  # notifications, actors
    "challenges": 5,  # challenges, owners, participant counts, the viewer's memberships
    "leaderboard": 7,  # challenge, ranking (3, one snapshot), the viewer's standing, users
}
SIZES = (3, 12)


async def world(db: AsyncConnection, settings: Settings, n: int) -> "World":
    """A viewer with n of everything a hot query pages through, of n different people."""
    viewer = await person(db, settings)
    authors = [await person(db, settings) for _ in range(n)]

    async def run(sql: str, **values: object) -> None:
        await db.execute(text(sql), values)

    await run(
        "INSERT INTO feed_preferences (user_id, show_following_only) VALUES (:v, true)",
        v=viewer.id,
    )
    posts = []
    for number, author in enumerate(authors):
        await run(
            "INSERT INTO follows (follower_id, following_id) VALUES (:v, :a)",
            v=viewer.id,
            a=author.id,
        )
        for _ in range(n if number == 0 else 1):
            posts.append(await make_post(db, user_id=author.id, content=f"by {number}"))
        await run(
            "INSERT INTO notification_history (user_id, actor_id, notification_type, title) "
            "VALUES (:v, :a, 'follow', 'Hello')",
            v=viewer.id,
            a=author.id,
        )
        goal = await make_goal(db, user_id=viewer.id)
        for day in ("2026-11-01", "2026-11-02"):
            await check_in_on(db, goal_id=goal, day=day)
    for post in posts:
        await run("INSERT INTO likes (post_id, user_id) VALUES (:p, :v)", p=post, v=viewer.id)
        for author in authors[:4]:
            await run(
                "INSERT INTO comments (post_id, user_id, content) VALUES (:p, :u, 'Go!')",
                p=post,
                u=author.id,
            )
    for author in authors[4:]:
        await run(
            "INSERT INTO comments (post_id, user_id, content) VALUES (:p, :u, 'Go!')",
            p=posts[0],
            u=author.id,
        )
    challenges = []
    for author in authors:
        challenge = await insert_returning_id(
            db,
            "INSERT INTO challenges (owner_id, title, starts_on, ends_on) "
            "VALUES (:o, 'Budget', current_date - 1, current_date + 30)",
            o=author.id,
        )
        challenges.append(challenge)
        await run(
            "INSERT INTO challenge_participants (challenge_id, user_id, role, joined_at) "
            "VALUES (:c, :o, 'owner', now()), (:c, :v, 'member', now())",
            c=challenge,
            o=author.id,
            v=viewer.id,
        )
    for author in authors[1:]:
        await run(
            "INSERT INTO challenge_participants (challenge_id, user_id, joined_at) "
            "VALUES (:c, :u, now())",
            c=challenges[0],
            u=author.id,
        )
    ids = {"author": str(authors[0].id), "post": str(posts[0]), "challenge": str(challenges[0])}
    return viewer, ids


def page_of(name: str, data: dict[str, Any]) -> list[Any] | None:
    """The page a hot query answered with (None: it has none)."""
    pages = {
        "feed": lambda: data["feed"]["edges"],
        "User.posts": lambda: data["user"]["posts"]["edges"],
        "Post.comments": lambda: data["post"]["comments"]["edges"],
        "goals": lambda: data["goals"]["edges"],
        "notifications": lambda: data["notifications"]["edges"],
        "challenges": lambda: data["challenges"]["edges"],
        "leaderboard": lambda: data["leaderboard"]["entries"],
    }
    return pages[name]() if name in pages else None


World = tuple[Person, dict[str, str]]


@pytest.fixture(scope="module")
async def worlds(engine: AsyncEngine, settings: Settings) -> dict[int, World]:
    """One world per page size, built once for all the hot queries."""
    built = {}
    for n in SIZES:
        async with engine.begin() as db:
            built[n] = await world(db, settings, n)
    return built


@pytest.mark.parametrize("name", list(HOT_QUERIES))
async def test_a_hot_query_costs_its_budget_whatever_the_page_size(
    name: str, worlds: dict[int, World], settings: Settings
) -> None:
    counts = []
    async with asgi_app(settings) as (http, app_engine):
        await gql(http, "{ goalTemplates { id } }")  # warm the pool
        for n in SIZES:
            viewer, ids = worlds[n]
            with counting_statements(app_engine) as statements:
                body = await gql(
                    http, HOT_QUERIES[name], variables_of(name, n, ids), token=viewer.token
                )
            assert "errors" not in body, body
            page = page_of(name, body["data"])
            assert page is None or len(page) == n, (n, page)
            counts.append(len(statements))
    assert counts == [BUDGETS[name]] * len(SIZES), (counts, "\n\n".join(statements))


def test_every_hot_query_has_a_budget() -> None:
    assert set(BUDGETS) == set(HOT_QUERIES)


async def test_a_request_frees_the_rows_it_read_without_the_cycle_collector(
    worlds: dict[int, World], settings: Settings
) -> None:
    """graphql-core's executor keeps itself (and the request's context) in a reference
    cycle: the rows a request read must not wait in it for the cycle collector, which
    would then walk all of them (long pauses under load)."""
    viewer, ids = worlds[SIZES[-1]]
    query, variables = HOT_QUERIES["feed"], variables_of("feed", SIZES[-1], ids)

    def rows_alive() -> int:
        return sum(isinstance(item, PostModel | UserModel) for item in gc.get_objects())

    async with asgi_app(settings) as (http, _):
        await gql(http, query, variables, token=viewer.token)
        gc.collect()
        gc.disable()
        try:
            before = rows_alive()
            for _ in range(5):
                await gql(http, query, variables, token=viewer.token)
            after = rows_alive()
        finally:
            gc.enable()
    assert after - before < SIZES[-1], (before, after)  # a page of posts is 12 rows
