"""The seed document's sample data: test users, goal templates, blog categories."""

from dataclasses import dataclass

from sqlalchemy import exists, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable

from models.blog import BlogCategory
from models.goals import GoalCategory, GoalFrequency, GoalTemplate
from models.users import OAuthAccount, User

TEST_PASSWORD = "momentum-dev-password"  # noqa: S105 (documented development login)
# bcrypt (cost 12) of TEST_PASSWORD: a "$2b$" hash as migrated from Supabase.
TEST_PASSWORD_HASH = "$2b$12$r6lpayVzcYw0FYMirsp/DOuLoY22ML5LJCxPK/PcBK/uIXNh/RjZq"  # noqa: S105

SEED_LOCK_KEY = 0x5EED  # one seeder at a time, so concurrent runs cannot duplicate templates

TEST_USERS = (
    {
        "email": "test@fitnudge.app",
        "password_hash": TEST_PASSWORD_HASH,
        "name": "Test User",
        "username": "testuser",
        "auth_provider": "email",
    },
    {
        "email": "user@privaterelay.appleid.com",
        "password_hash": None,
        "name": "Apple User",
        "username": "appleuser",
        "auth_provider": "apple",
    },
)
APPLE_ACCOUNT = {
    "provider": "apple",
    "provider_user_id": "000123.abc456def789",
    "provider_email": "user@privaterelay.appleid.com",
    "provider_name": "Apple User",
}
GOAL_TEMPLATES = (
    ("Gym 3x Weekly", "Go to the gym 3 times per week", GoalFrequency.WEEKLY, 3,
     ["09:00", "18:00"], "Perfect for beginners starting their fitness journey"),
    ("Daily Workout", "Exercise every day", GoalFrequency.DAILY, 7,
     ["07:00"], "Great for building consistent habits"),
    ("Morning Run", "Run every morning", GoalFrequency.DAILY, 7,
     ["06:00"], "Outdoor activity to start your day"),
    ("Strength Building", "Build muscle and strength through progressive training",
     GoalFrequency.WEEKLY, 4, ["18:00"], "Focused on muscle building"),
)  # fmt: skip
BLOG_CATEGORIES = (
    ("Success Stories", "success-stories", "Real user transformation stories"),
    ("AI Motivation", "ai-motivation", "How AI helps with fitness motivation"),
    ("Fitness Tips", "fitness-tips", "Expert fitness advice and tips"),
    ("Industry News", "industry-news", "Latest fitness industry updates"),
)


@dataclass
class SeedReport:
    """How many rows each part of the seed added (0 when they were already there)."""

    users: int = 0
    oauth_accounts: int = 0
    goal_templates: int = 0
    blog_categories: int = 0


async def load_sample_data(*, session: AsyncSession, include_test_users: bool) -> SeedReport:
    """Inserts whatever of the sample data is missing; running it again changes nothing."""
    report = SeedReport()
    await session.execute(select(func.pg_advisory_xact_lock(SEED_LOCK_KEY)))
    if include_test_users:
        report.users = await _insert_missing(
            session, insert(User).values(TEST_USERS).on_conflict_do_nothing().returning(User.id)
        )
        apple_user = select(User.id).where(User.email == APPLE_ACCOUNT["provider_email"])
        report.oauth_accounts = await _insert_missing(
            session,
            insert(OAuthAccount)
            .values(user_id=apple_user.scalar_subquery(), **APPLE_ACCOUNT)
            .on_conflict_do_nothing()
            .returning(OAuthAccount.id),
        )
    for title, description, frequency, target_days, reminders, reason in GOAL_TEMPLATES:
        already = await session.scalar(select(exists().where(GoalTemplate.title == title)))
        if not already:
            session.add(
                GoalTemplate(
                    title=title,
                    description=description,
                    category=GoalCategory.FITNESS,
                    frequency=frequency,
                    target_days=target_days,
                    reminder_times=reminders,
                    is_ai_generated=False,
                    match_reason=reason,
                )
            )
            report.goal_templates += 1
    report.blog_categories = await _insert_missing(
        session,
        insert(BlogCategory)
        .values([{"name": n, "slug": s, "description": d} for n, s, d in BLOG_CATEGORIES])
        .on_conflict_do_nothing()
        .returning(BlogCategory.id),
    )
    await session.commit()
    return report


async def _insert_missing(session: AsyncSession, statement: Executable) -> int:
    """Runs an INSERT ... ON CONFLICT DO NOTHING RETURNING and counts the rows it added."""
    return len((await session.execute(statement)).all())
