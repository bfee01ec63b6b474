"""realtime: an update's event carries the previous values of the columns it changed

Revision ID: 0014_realtime_old_values
Revises: 0013_realtime_domains

`realtime_events.old`: for UPDATE, the changed columns' previous values (password hashes
left out), so a subscriber sees what changed from what (`tableChanges.oldRecord`). INSERT
and DELETE events carry none (a DELETE carries the row id and its routing keys).
"""

from collections.abc import Sequence
from importlib import import_module

from alembic import op

revision: str = "0014_realtime_old_values"
down_revision: str | None = "0013_realtime_domains"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CAPTURE_WITH_OLD_VALUES = """
CREATE OR REPLACE FUNCTION capture_realtime_event() RETURNS trigger LANGUAGE plpgsql AS $$
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
            'INSERT INTO realtime_events (table_name, operation, row_id, keys, changed, old) '
            'SELECT %L, %L, n.id, jsonb_build_object(%s), '
            '  ARRAY(SELECT e.key FROM jsonb_each(to_jsonb(n)) e '
            '        WHERE e.value IS DISTINCT FROM to_jsonb(o) -> e.key ORDER BY e.key), '
            '  (SELECT jsonb_object_agg(e.key, to_jsonb(o) -> e.key) '
            '   FROM jsonb_each(to_jsonb(n) - ''password_hash'') e '
            '   WHERE e.value IS DISTINCT FROM to_jsonb(o) -> e.key) '
            'FROM new_rows n JOIN old_rows o ON o.id = n.id '
            'WHERE to_jsonb(n) IS DISTINCT FROM to_jsonb(o)',
            TG_TABLE_NAME, TG_OP, key_pairs);
    END IF;
    PERFORM pg_notify('momentum_events', pg_current_xact_id()::text);
    RETURN NULL;
END $$
"""

# Migration 0005's function, restored on downgrade.
CAPTURE = import_module("migrations.versions.0005_realtime_events").CAPTURE_FUNCTION.replace(
    "CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1
)


def upgrade() -> None:
    op.execute("ALTER TABLE realtime_events ADD COLUMN old jsonb")
    op.execute(CAPTURE_WITH_OLD_VALUES)


def downgrade() -> None:
    op.execute(CAPTURE)
    op.execute("ALTER TABLE realtime_events DROP COLUMN old")
