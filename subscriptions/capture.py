"""Which tables reach subscribers, and the SQL that captures their changes.

To make a table realtime, declare it in REALTIME_TABLES and add a migration that runs
`capture_trigger_sql(table, keys)` with the same keys (a test checks the database's
triggers against this declaration). Every INSERT, UPDATE and DELETE on it, by any writer,
then lands in realtime_events.
"""

from dataclasses import dataclass

NOTIFY_CHANNEL = "momentum_events"


@dataclass(frozen=True)
class Capture:
    """Routing keys: columns copied into the event so it can be routed to topics
    `<key>:<value>`; `whole_table` also routes every event to `table:<name>`."""

    keys: tuple[str, ...]
    whole_table: bool = False


REALTIME_TABLES: dict[str, Capture] = {
    "users": Capture(keys=("id",)),
    "goals": Capture(keys=("id", "user_id")),
    "check_ins": Capture(keys=("user_id", "goal_id")),
    "posts": Capture(keys=("id", "user_id"), whole_table=True),
    "comments": Capture(keys=("post_id", "user_id"), whole_table=True),
    "likes": Capture(keys=("post_id", "user_id"), whole_table=True),
    "follows": Capture(keys=("follower_id", "following_id")),
    "notification_history": Capture(keys=("user_id",)),
    "challenges": Capture(keys=("id", "owner_id"), whole_table=True),
    "challenge_participants": Capture(keys=("challenge_id", "user_id"), whole_table=True),
    "actionable_plans": Capture(keys=("user_id", "goal_id")),
    "daily_motivations": Capture(keys=("user_id",)),
    "motivations": Capture(keys=("user_id",)),
    "meal_logs": Capture(keys=("user_id",)),
    "daily_nutrition_summaries": Capture(keys=("user_id",)),
    "achievement_types": Capture(keys=("id",), whole_table=True),
    "user_achievements": Capture(keys=("user_id",)),
    "accountability_partners": Capture(keys=("requester_id", "partner_id")),
}


def capture_trigger_sql(table: str, keys: tuple[str, ...]) -> list[str]:
    """The three statement-level triggers that capture one table's changes."""
    arguments = ", ".join(f"'{key}'" for key in keys)
    return [
        f"CREATE TRIGGER trg_{table}_realtime_{operation.lower()} AFTER {operation} ON {table} "
        f"REFERENCING {transitions} FOR EACH STATEMENT "
        f"EXECUTE FUNCTION capture_realtime_event({arguments})"
        for operation, transitions in (
            ("INSERT", "NEW TABLE AS new_rows"),
            ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
            ("DELETE", "OLD TABLE AS old_rows"),
        )
    ]


def drop_capture_trigger_sql(table: str) -> list[str]:
    return [
        f"DROP TRIGGER trg_{table}_realtime_{operation} ON {table}"
        for operation in ("insert", "update", "delete")
    ]
