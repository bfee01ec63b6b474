"""motivations record when their push was opened

Revision ID: 0010_motivation_opened
Revises: 0009_email_verification

A scheduled motivation is sent (`is_sent`, `sent_at`) and then perhaps opened: `opened_at`,
set once by `markMotivationOpened`, only after it was sent.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_motivation_opened"
down_revision: str | None = "0009_email_verification"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("motivations", sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True))
    op.create_check_constraint(
        op.f("ck_motivations_opened_after_sent"), "motivations", "opened_at IS NULL OR is_sent"
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_motivations_opened_after_sent"), "motivations", type_="check")
    op.drop_column("motivations", "opened_at")
