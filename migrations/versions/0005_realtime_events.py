"""realtime: the event log, its capture triggers, and the relay's recorded position

Revision ID: 0005_realtime_events
Revises: 0004_audit_log_append_only
"""

from collections.abc import Sequence

from alembic import op

from subscriptions.capture import capture_trigger_sql, drop_capture_trigger_sql

revision: str = "0005_realtime_events"
down_revision: str | None = "0004_audit_log_append_only"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Table -> routing keys, as declared in subscriptions.capture.REALTIME_TABLES at this version.
TABLES = {
    "users": ("id",),
    "goals": ("id", "user_id"),
    "check_ins": ("user_id", "goal_id"),
    "posts": ("id", "user_id"),
    "comments": ("post_id", "user_id"),
    "likes": ("post_id", "user_id"),
    "follows": ("follower_id", "following_id"),
    "notification_history": ("user_id",),
    "challenges": ("id", "owner_id"),
    "challenge_participants": ("challenge_id", "user_id"),
}

# Events are ordered by (xid, id): a reader that only takes rows whose transaction is older
# than its snapshot's xmin sees a prefix that can never grow in the middle, whatever order
# transactions commit in (an id alone is assigned at insert, not at commit).
EVENTS_TABLE = """
CREATE TABLE realtime_events (
    xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
    id bigint GENERATED ALWAYS AS IDENTITY,
    table_name text NOT NULL,
    operation text NOT NULL CHECK (operation IN ('INSERT', 'UPDATE', 'DELETE')),
    row_id uuid NOT NULL,
    keys jsonb NOT NULL,
    changed text[],
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (xid, id)
)
"""

RELAY_STATE_TABLE = """
CREATE TABLE realtime_relay_state (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    last_xid xid8 NOT NULL DEFAULT '0',
    last_id bigint NOT NULL DEFAULT 0,
    pruned_xid xid8 NOT NULL DEFAULT '0',
    pruned_id bigint NOT NULL DEFAULT 0,
    relayed_at timestamptz NOT NULL DEFAULT now()
)
"""

# One event per changed row (no-op updates skipped), one NOTIFY per transaction: the payload
# is the transaction id, and identical payloads of one transaction collapse into one.
CAPTURE_FUNCTION = """
CREATE FUNCTION capture_realtime_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    source text := CASE WHEN TG_OP = 'DELETE' THEN 'o' ELSE 'n' END;
    key_pairs text;
BEGIN
    SELECT string_agg(format('%L, %I.%I', key, source, key), ', ')
      INTO key_pairs FROM unnest(TG_ARGV) AS key;
    IF TG_OP = 'INSERT' THEN
        EXECUTE format(
            'INSERT INTO realtime_events (table_name, operation, row_id, keys) '
            'SELECT %L, %L, n.id, jsonb_build_object(%s) FROM new_rows n',
            TG_TABLE_NAME, TG_OP, key_pairs);
    ELSIF TG_OP = 'DELETE' THEN
        EXECUTE format(
            'INSERT INTO realtime_events (table_name, operation, row_id, keys) '
            'SELECT %L, %L, o.id, jsonb_build_object(%s) FROM old_rows o',
            TG_TABLE_NAME, TG_OP, key_pairs);
    ELSE
        EXECUTE format(
            'INSERT INTO realtime_events (table_name, operation, row_id, keys, changed) '
            'SELECT %L, %L, n.id, jsonb_build_object(%s), '
            '  ARRAY(SELECT e.key FROM jsonb_each(to_jsonb(n)) e '
            '        WHERE e.value IS DISTINCT FROM to_jsonb(o) -> e.key ORDER BY e.key) '
            'FROM new_rows n JOIN old_rows o ON o.id = n.id '
            'WHERE to_jsonb(n) IS DISTINCT FROM to_jsonb(o)',
            TG_TABLE_NAME, TG_OP, key_pairs);
    END IF;
    PERFORM pg_notify('momentum_events', pg_current_xact_id()::text);
    RETURN NULL;
END $$
"""


def upgrade() -> None:
    op.execute(EVENTS_TABLE)
    op.execute(
        "CREATE INDEX idx_realtime_events_keys ON realtime_events USING gin (keys jsonb_path_ops)"
    )
    op.execute("CREATE INDEX idx_realtime_events_created_at ON realtime_events (created_at)")
    op.execute(RELAY_STATE_TABLE)
    op.execute("INSERT INTO realtime_relay_state DEFAULT VALUES")
    op.execute(CAPTURE_FUNCTION)
    for table, keys in TABLES.items():
        for statement in capture_trigger_sql(table, keys):
            op.execute(statement)


def downgrade() -> None:
    for table in TABLES:
        for statement in drop_capture_trigger_sql(table):
            op.execute(statement)
    op.execute("DROP FUNCTION capture_realtime_event()")
    op.execute("DROP TABLE realtime_relay_state")
    op.execute("DROP TABLE realtime_events")
