"""audit_logs is append-only: the database refuses UPDATE, DELETE and TRUNCATE

Revision ID: 0004_audit_log_append_only
Revises: 0003_refresh_tokens
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004_audit_log_append_only"
down_revision: str | None = "0003_refresh_tokens"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REFUSE_CHANGE = """
CREATE FUNCTION refuse_audit_log_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_logs is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$
"""


def upgrade() -> None:
    op.execute(REFUSE_CHANGE)
    op.execute(
        "CREATE TRIGGER trg_audit_logs_append_only BEFORE UPDATE OR DELETE ON audit_logs "
        "FOR EACH ROW EXECUTE FUNCTION refuse_audit_log_change()"
    )
    op.execute(
        "CREATE TRIGGER trg_audit_logs_no_truncate BEFORE TRUNCATE ON audit_logs "
        "FOR EACH STATEMENT EXECUTE FUNCTION refuse_audit_log_change()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER trg_audit_logs_no_truncate ON audit_logs")
    op.execute("DROP TRIGGER trg_audit_logs_append_only ON audit_logs")
    op.execute("DROP FUNCTION refuse_audit_log_change()")
