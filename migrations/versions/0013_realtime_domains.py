"""realtime: the domains' tables reach subscribers too

Revision ID: 0013_realtime_domains
Revises: 0012_account_lifecycle

Every table of the seed's realtime list is captured into the event log (the leaderboard is
served by `leaderboardUpdates` from the challenge_participants events already captured).
"""

from collections.abc import Sequence

from alembic import op

from subscriptions.capture import capture_trigger_sql, drop_capture_trigger_sql

revision: str = "0013_realtime_domains"
down_revision: str | None = "0012_account_lifecycle"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Table -> routing keys, as declared in subscriptions.capture.REALTIME_TABLES at this version.
TABLES = {
    "actionable_plans": ("user_id", "goal_id"),
    "daily_motivations": ("user_id",),
    "motivations": ("user_id",),
    "meal_logs": ("user_id",),
    "daily_nutrition_summaries": ("user_id",),
    "achievement_types": ("id",),
    "user_achievements": ("user_id",),
    "accountability_partners": ("requester_id", "partner_id"),
}


def upgrade() -> None:
    for table, keys in TABLES.items():
        for statement in capture_trigger_sql(table, keys):
            op.execute(statement)


def downgrade() -> None:
    for table in TABLES:
        for statement in drop_capture_trigger_sql(table):
            op.execute(statement)
