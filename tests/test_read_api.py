"""Reading every domain as a client would: profiles, counts, goals, check-ins, blog."""

from datetime import date

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from gql.settings import Settings
from tests.factories import insert_returning_id, make_goal
from tests.graphql import error_codes, gql, person

PROFILE = """
query($username: String!) {
  user(username: $username) {
    username followersCount followingCount viewerIsFollowing
    followers(first: 1) { edges { node { username } } pageInfo { hasNextPage endCursor } }
  }
}
"""


async def test_profiles_show_counts_and_whether_the_viewer_follows(
    client: httpx.AsyncClient, engine: AsyncEngine, settings: Settings
) -> None:
    async with engine.begin() as db:
        star = await person(db, settings)
        fans = [await person(db, settings) for _ in range(3)]
        for fan in fans:
            await db.execute(
                text(
                    "INSERT INTO follows (follower_id, following_id, created_at) "
                    "VALUES (:a, :b, clock_timestamp())"
                ),
                {"a": fan.id, "b": star.id},
            )
        star_name = await db.scalar(
            text("SELECT username FROM users WHERE id = :i"), {"i": star.id}
        )
        last_fan = await db.scalar(
            text("SELECT username FROM users WHERE id = :i"), {"i": fans[-1].id}
        )

    as_fan = await gql(client, PROFILE, {"username": star_name}, token=fans[0].token)
    profile = as_fan["data"]["user"]
    assert (profile["followersCount"], profile["followingCount"]) == (3, 0)
    assert profile["viewerIsFollowing"] is True
    assert profile["followers"]["edges"][0]["node"]["username"] == last_fan
    assert profile["followers"]["pageInfo"]["hasNextPage"] is True

    anonymous = await gql(client, PROFILE, {"username": star_name})
    assert anonymous["data"]["user"]["viewerIsFollowing"] is False
    missing = await gql(client, PROFILE, {"username": "no_such_person"})
    assert error_codes(missing) == ["NOT_FOUND"]
    both = await gql(client, '{ user(id: "x", username: "y") { id } }')
    assert error_codes(both) == ["BAD_USER_INPUT"]


async def test_goals_active_only_and_check_ins_between_dates(
    client: httpx.AsyncClient, engine: AsyncEngine, settings: Settings
) -> None:
    async with engine.begin() as db:
        owner = await person(db, settings)
        active = await make_goal(db, user_id=owner.id)
        archived = await make_goal(db, user_id=owner.id)
        await db.execute(text("UPDATE goals SET is_active = false WHERE id = :g"), {"g": archived})
        for day in (date(2026, 1, 1), date(2026, 1, 2), date(2026, 1, 3)):
            await db.execute(
                text(
                    "INSERT INTO check_ins (goal_id, user_id, date, completed, mood) "
                    "VALUES (:g, :u, :d, true, 4)"
                ),
                {"g": active, "u": owner.id, "d": day},
            )

    goals = await gql(
        client, "{ goals(activeOnly: true) { edges { node { id } } } }", token=owner.token
    )
    assert [edge["node"]["id"] for edge in goals["data"]["goals"]["edges"]] == [str(active)]
    check_ins = await gql(
        client,
        'query($g: ID) { checkIns(goalId: $g, from: "2026-01-02", to: "2026-01-03") '
        "{ edges { node { date mood } } } }",
        {"g": str(active)},
        token=owner.token,
    )
    assert [edge["node"] for edge in check_ins["data"]["checkIns"]["edges"]] == [
        {"date": "2026-01-03", "mood": 4},
        {"date": "2026-01-02", "mood": 4},
    ]
    reversed_range = await gql(
        client,
        '{ checkIns(from: "2026-01-03", to: "2026-01-01") { edges { cursor } } }',
        token=owner.token,
    )
    assert error_codes(reversed_range) == ["BAD_USER_INPUT"]


async def test_unread_notifications_and_the_viewers_subscription(
    client: httpx.AsyncClient, engine: AsyncEngine, settings: Settings
) -> None:
    async with engine.begin() as db:
        owner = await person(db, settings)
        for title, read in (("read one", "now()"), ("unread one", "NULL")):
            await db.execute(
                text(
                    "INSERT INTO notification_history (user_id, notification_type, title, read_at) "
                    f"VALUES (:u, 'system', :t, {read})"
                ),
                {"u": owner.id, "t": title},
            )
        await db.execute(
            text(
                "INSERT INTO subscriptions (user_id, plan, status, platform, product_id, "
                "purchase_date) VALUES (:u, 'pro', 'active', 'ios', 'pro.monthly', now())"
            ),
            {"u": owner.id},
        )
    body = await gql(
        client,
        "{ notifications(unreadOnly: true) { edges { node { title } } } "
        "me { subscription { plan status platform autoRenew } } }",
        token=owner.token,
    )
    assert [e["node"]["title"] for e in body["data"]["notifications"]["edges"]] == ["unread one"]
    assert body["data"]["me"]["subscription"] == {
        "plan": "pro",
        "status": "active",
        "platform": "ios",
        "autoRenew": True,
    }


async def test_blog_posts_filter_by_category_and_tag(
    client: httpx.AsyncClient, engine: AsyncEngine, settings: Settings
) -> None:
    async with engine.begin() as db:
        author = await person(db, settings)
        tag = await insert_returning_id(
            db, "INSERT INTO blog_tags (name, slug) VALUES ('Running', 'running-read-api')"
        )
        post = await insert_returning_id(
            db,
            "INSERT INTO blog_posts (title, slug, content, status, published_at, author_id) "
            "VALUES ('Run far', 'run-far-read-api', 'Body', 'published', now(), :a)",
            a=author.id,
        )
        await db.execute(
            text(
                "INSERT INTO blog_post_categories (post_id, category_id) "
                "SELECT :p, id FROM blog_categories WHERE slug = 'fitness-tips'"
            ),
            {"p": post},
        )
        await db.execute(
            text("INSERT INTO blog_post_tags (post_id, tag_id) VALUES (:p, :t)"),
            {"p": post, "t": tag},
        )
    query = """
    query($category: String, $tag: String) {
      blogPosts(category: $category, tag: $tag) {
        edges { node { slug categories { slug } tags { slug } } }
      }
    }
    """
    by_category = await gql(client, query, {"category": "fitness-tips"})
    by_tag = await gql(client, query, {"tag": "running-read-api"})
    elsewhere = await gql(client, query, {"category": "industry-news"})
    expected = {
        "slug": "run-far-read-api",
        "categories": [{"slug": "fitness-tips"}],
        "tags": [{"slug": "running-read-api"}],
    }
    assert [e["node"] for e in by_category["data"]["blogPosts"]["edges"]] == [expected]
    assert [e["node"] for e in by_tag["data"]["blogPosts"]["edges"]] == [expected]
    assert elsewhere["data"]["blogPosts"]["edges"] == []
