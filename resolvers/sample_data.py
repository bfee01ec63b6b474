"""The seed document's sample data: test users, goal templates, blog categories, and for the
test user a goal with its check-ins, AI plan, meals, today's motivation and a partnership
with the Apple user, so that each domain shows something at once in GraphiQL."""

import json
from dataclasses import dataclass

from sqlalchemy import exists, func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable

from models.blog import BlogCategory
from models.goals import Goal, GoalCategory, GoalFrequency, GoalTemplate
from models.users import OAuthAccount, User
from resolvers.plan_worker import GoalBrief, template_plan

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
    test_user_activity: int = 0  # 1 when the test user's goal, plan, meals... were added


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
        report.test_user_activity = await _test_user_activity(session)
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


# The test user's activity, once (when they have no goal yet). Check-ins on the last three
# days unlock the first-check-in achievement by the database's own rules.
TEST_USER_ACTIVITY = (
    """
    INSERT INTO goals (user_id, title, description, category, frequency, target_days,
                       reminder_times)
    SELECT id, 'Morning Run', 'Run every morning', 'fitness', 'daily', 7, ARRAY['06:30']
    FROM users WHERE email = 'test@fitnudge.app'
    """,
    """
    INSERT INTO check_ins (goal_id, user_id, date, completed, mood, reflection)
    SELECT g.id, g.user_id, current_date - days, true, 4, 'Felt good'
    FROM goals g JOIN users u ON u.id = g.user_id, generate_series(1, 3) AS days
    WHERE u.email = 'test@fitnudge.app'
    """,
    """
    INSERT INTO actionable_plans (goal_id, user_id, status, plan, generated_at)
    SELECT g.id, g.user_id, 'completed', CAST(:plan AS jsonb), now()
    FROM goals g JOIN users u ON u.id = g.user_id WHERE u.email = 'test@fitnudge.app'
    """,
    """
    INSERT INTO meal_logs (user_id, logged_on, meal_type, name, calories, protein_g, carbs_g,
                           fat_g)
    SELECT u.id, current_date, meal.kind, meal.name, meal.calories, meal.protein, meal.carbs,
           meal.fat
    FROM users u, (VALUES ('breakfast', 'Oatmeal with berries', 350, 12, 60, 7),
                          ('lunch', 'Chicken salad', 520, 40, 25, 28)) AS
         meal(kind, name, calories, protein, carbs, fat)
    WHERE u.email = 'test@fitnudge.app'
    """,
    """
    INSERT INTO accountability_partners (requester_id, partner_id, status, message, accepted_at)
    SELECT t.id, a.id, 'accepted', 'Keep me honest!', now()
    FROM users t, users a
    WHERE t.email = 'test@fitnudge.app' AND a.email = 'user@privaterelay.appleid.com'
    ON CONFLICT DO NOTHING
    """,
    """
    INSERT INTO daily_motivations (user_id, date, message, background_style)
    SELECT id, current_date, 'Small steps every day add up to big results.', 'sunrise'
    FROM users WHERE email = 'test@fitnudge.app'
    ON CONFLICT (user_id, date) DO NOTHING
    """,
)


async def _test_user_activity(session: AsyncSession) -> int:
    """Adds the test user's sample activity unless they already have a goal."""
    has_goal = await session.scalar(
        select(exists().where(Goal.user_id == User.id, User.email == TEST_USERS[0]["email"]))
    )
    if has_goal:
        return 0
    brief = GoalBrief("Morning Run", "Run every morning", "daily", 7, ["06:30"])
    plan = json.dumps(template_plan(brief))
    for statement in TEST_USER_ACTIVITY:
        clause = text(statement)
        await session.execute(clause, {"plan": plan} if "plan" in clause.compile().params else {})
    return 1


async def _insert_missing(session: AsyncSession, statement: Executable) -> int:
    """Runs an INSERT ... ON CONFLICT DO NOTHING RETURNING and counts the rows it added."""
    return len((await session.execute(statement)).all())
