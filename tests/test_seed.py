"""`momentum seed`: the sample data once and idempotently, and a generated demo set."""

import dataclasses

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

import migrations
from models.db import create_sessionmaker
from resolvers.demo_data import DemoSizes, generate_demo_data
from resolvers.sample_data import SeedReport, load_sample_data

SMALL = DemoSizes(
    users=20,
    posts=50,
    reactions=300,
    comments=40,
    follows=100,
    goals_per_user=2,
    check_in_days=5,
)


async def test_loading_the_sample_data_again_adds_nothing(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with sessionmaker() as session:
        report = await load_sample_data(session=session, include_test_users=True)
        users = await session.scalar(
            text("SELECT count(*) FROM users WHERE email IN ('test@fitnudge.app', :apple)"),
            {"apple": "user@privaterelay.appleid.com"},
        )
        templates = await session.scalar(text("SELECT count(*) FROM goal_templates"))
        categories = await session.scalar(text("SELECT count(*) FROM blog_categories"))
    assert report == SeedReport()
    assert (users, templates, categories) == (2, 4, 4)


async def test_sample_data_on_an_empty_database_and_test_users_only_outside_production(
    empty_engine: AsyncEngine,
) -> None:
    await migrations.upgrade(empty_engine)
    async with create_sessionmaker(empty_engine)() as session:
        production = await load_sample_data(session=session, include_test_users=False)
        development = await load_sample_data(session=session, include_test_users=True)
        apple_account = await session.scalar(
            text(
                "SELECT u.username FROM oauth_accounts o JOIN users u ON u.id = o.user_id "
                "WHERE o.provider = 'apple' AND o.provider_user_id = '000123.abc456def789'"
            )
        )
    assert production == SeedReport(goal_templates=4, blog_categories=4)
    assert development == SeedReport(users=2, oauth_accounts=1, test_user_activity=1)
    assert apple_account == "appleuser"
    async with empty_engine.connect() as db:
        shown = (
            await db.execute(
                text(
                    "SELECT (SELECT status FROM actionable_plans p WHERE p.user_id = u.id), "
                    "(SELECT count(*) FROM check_ins c WHERE c.user_id = u.id), "
                    "(SELECT calories FROM daily_nutrition_summaries d "
                    " WHERE d.user_id = u.id AND d.date = current_date), "
                    "(SELECT count(*) FROM daily_motivations m WHERE m.user_id = u.id), "
                    "(SELECT array_agg(t.key) FROM user_achievements a "
                    " JOIN achievement_types t ON t.id = a.achievement_type_id "
                    " WHERE a.user_id = u.id), "
                    "(SELECT status FROM accountability_partners WHERE requester_id = u.id) "
                    "FROM users u WHERE u.email = 'test@fitnudge.app'"
                )
            )
        ).one()
    assert tuple(shown) == ("completed", 3, 870, 1, ["first_check_in"], "accepted")


async def demo_counts(engine: AsyncEngine) -> dict[str, int]:
    async with create_sessionmaker(engine)() as session:
        return await generate_demo_data(session=session, sizes=SMALL)


async def test_demo_data_has_the_requested_sizes_and_replaces_itself(
    empty_engine: AsyncEngine,
) -> None:
    await migrations.upgrade(empty_engine)
    first = await demo_counts(empty_engine)
    second = await demo_counts(empty_engine)

    assert first == second
    assert first["users"] == SMALL.users
    assert first["goals"] == SMALL.users * SMALL.goals_per_user
    assert first["posts"] == SMALL.posts
    assert first["reactions"] == SMALL.reactions
    assert first["comments"] == SMALL.comments
    assert first["follows"] == SMALL.follows
    assert 0 < first["check_ins"] <= first["goals"] * SMALL.check_in_days
    async with empty_engine.connect() as connection:
        counted = (
            await connection.execute(
                text("SELECT sum(likes_count), sum(comments_count) FROM posts")
            )
        ).one()
        self_follows = await connection.scalar(
            text("SELECT count(*) FROM follows WHERE follower_id = following_id")
        )
        streamed = await connection.scalar(text("SELECT count(*) FROM realtime_events"))
    assert tuple(counted) == (SMALL.reactions, SMALL.comments)
    assert self_follows == 0
    assert streamed == 0  # a generated data set is not streamed to subscribers


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"users": 1}, "users must be at least 2"),
        ({"users": 3, "posts": 2, "reactions": 7}, "reactions cannot exceed"),
        ({"users": 3, "follows": 7}, "follows cannot exceed"),
        ({"posts": 0}, "need posts"),
        ({"check_in_days": 400}, "check_in_days"),
    ],
)
async def test_impossible_demo_sizes_are_refused_before_any_write(
    sessionmaker: async_sessionmaker[AsyncSession], change: dict[str, int], problem: str
) -> None:
    sizes = dataclasses.replace(SMALL, **change)
    async with sessionmaker() as session:
        with pytest.raises(ValueError, match=problem):
            await generate_demo_data(session=session, sizes=sizes)
