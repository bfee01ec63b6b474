"""Migrations build the whole data model on an empty database and take it back to empty."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine

import migrations
import models

SEED_TABLES = {
    "users", "oauth_accounts", "goals", "check_ins", "motivations", "posts", "comments",
    "likes", "follows", "feed_preferences", "subscriptions", "iap_receipts", "offer_codes",
    "admin_users", "audit_logs", "media_uploads", "blog_posts", "blog_categories",
    "blog_post_categories", "blog_tags", "blog_post_tags", "user_consents", "goal_templates",
}  # fmt: skip
DESIGNED_TABLES = {
    "actionable_plans", "daily_motivations", "notification_history", "meal_logs",
    "daily_nutrition_summaries", "achievement_types", "user_achievements",
    "accountability_partners", "challenges", "challenge_participants", "challenge_score_counts",
}  # fmt: skip
AUTH_TABLES = {"refresh_tokens", "email_verifications", "outbound_emails"}
REALTIME_TABLES = {"realtime_events", "realtime_relay_state"}
TRIGGER_TABLES = {"achievement_checks"}
VIEWS = {"user_engagement_summary", "subscription_analytics", "challenge_leaderboard"}
SEED_INDEXES = {
    "idx_users_email", "idx_users_username", "idx_users_auth_provider", "idx_users_plan",
    "idx_oauth_accounts_user_id", "idx_oauth_accounts_provider_user_id", "idx_goals_user_id",
    "idx_goals_category", "idx_check_ins_goal_id", "idx_check_ins_date", "idx_check_ins_user_id",
    "idx_posts_user_id", "idx_posts_created_at", "idx_posts_media_type", "idx_comments_post_id",
    "idx_likes_post_id", "idx_likes_user_id", "idx_follows_follower_id",
    "idx_follows_following_id", "idx_subscriptions_user_id", "idx_subscriptions_status",
    "idx_subscriptions_platform", "idx_iap_receipts_user_id", "idx_iap_receipts_transaction_id",
    "idx_blog_posts_slug", "idx_blog_posts_status", "idx_blog_posts_published_at",
}  # fmt: skip
# (table, column) -> ON DELETE rule of its foreign key, as the seed declares them.
SEED_DELETE_RULES = {
    ("oauth_accounts", "user_id"): "CASCADE",
    ("goals", "user_id"): "CASCADE",
    ("check_ins", "goal_id"): "CASCADE",
    ("motivations", "goal_id"): "CASCADE",
    ("comments", "post_id"): "CASCADE",
    ("likes", "user_id"): "CASCADE",
    ("iap_receipts", "subscription_id"): "CASCADE",
    ("audit_logs", "admin_user_id"): "NO ACTION",
    ("media_uploads", "post_id"): "CASCADE",
    ("blog_posts", "author_id"): "NO ACTION",
    ("blog_post_tags", "tag_id"): "CASCADE",
}

OBJECTS_SQL = """
SELECT 'table:' || tablename FROM pg_tables WHERE schemaname = 'public'
UNION ALL SELECT 'view:' || viewname FROM pg_views WHERE schemaname = 'public'
UNION ALL SELECT 'type:' || t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
    WHERE n.nspname = 'public' AND t.typtype = 'e'
UNION ALL SELECT 'function:' || p.proname FROM pg_proc p
    JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'
"""


async def objects(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as connection:
        return set((await connection.scalars(text(OBJECTS_SQL))).all())


async def test_upgrade_builds_every_table_view_and_enum(empty_engine: AsyncEngine) -> None:
    await migrations.upgrade(empty_engine)

    found = await objects(empty_engine)
    tables = {name.removeprefix("table:") for name in found if name.startswith("table:")}
    assert (
        tables
        == SEED_TABLES
        | DESIGNED_TABLES
        | AUTH_TABLES
        | REALTIME_TABLES
        | TRIGGER_TABLES
        | {"alembic_version"}
    )
    assert {name.removeprefix("view:") for name in found if name.startswith("view:")} == VIEWS
    assert {"type:goal_category", "type:goal_frequency"} <= found


async def test_downgrade_to_base_leaves_an_empty_database_and_upgrade_works_again(
    empty_engine: AsyncEngine,
) -> None:
    await migrations.upgrade(empty_engine)
    await migrations.downgrade(empty_engine, "base")

    assert await objects(empty_engine) == {"table:alembic_version"}
    assert await migrations.current_revision(empty_engine) is None

    await migrations.upgrade(empty_engine)
    assert await migrations.current_revision(empty_engine) == migrations.head_revision()


def _model_differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "include_name": migrations.include_name}
    )
    return list(compare_metadata(context, models.Base.metadata))


async def test_models_and_migrations_describe_the_same_schema(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        differences = await connection.run_sync(_model_differences)
    assert differences == []


async def test_seed_indexes_exist(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        names = set(
            (
                await connection.scalars(
                    text("SELECT indexname FROM pg_indexes WHERE schemaname = 'public'")
                )
            ).all()
        )
    assert names >= SEED_INDEXES


async def test_foreign_keys_keep_the_seeds_on_delete_behaviour(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        rows = await connection.execute(
            text(
                """
                SELECT kcu.table_name, kcu.column_name, rc.delete_rule
                FROM information_schema.referential_constraints rc
                JOIN information_schema.key_column_usage kcu
                  ON kcu.constraint_name = rc.constraint_name
                WHERE kcu.table_schema = 'public'
                """
            )
        )
        rules = {(table, column): rule for table, column, rule in rows}
    for key, rule in SEED_DELETE_RULES.items():
        assert rules[key] == rule, key


async def test_every_updated_at_column_has_a_trigger(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        missing = (
            await connection.scalars(
                text(
                    """
                    SELECT c.table_name FROM information_schema.columns c
                    JOIN pg_tables t ON t.tablename = c.table_name AND t.schemaname = 'public'
                    WHERE c.table_schema = 'public' AND c.column_name = 'updated_at'
                      AND NOT EXISTS (
                        SELECT 1 FROM pg_trigger g
                        WHERE g.tgrelid = c.table_name::regclass
                          AND g.tgname = 'trg_' || c.table_name || '_updated_at')
                    """
                )
            )
        ).all()
    assert missing == []


async def test_timestamps_are_timestamptz(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        naive = (
            await connection.scalars(
                text(
                    """
                    SELECT table_name || '.' || column_name FROM information_schema.columns
                    WHERE table_schema = 'public' AND data_type = 'timestamp without time zone'
                    """
                )
            )
        ).all()
    assert naive == []
