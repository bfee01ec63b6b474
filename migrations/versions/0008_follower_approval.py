"""follows: a follower approved by the followed user sees their posts that are not public

Revision ID: 0008_follower_approval
Revises: 0007_realtime_horizon

Following stays instant and unapproved; a post that is not public is for its author and the
followers the author approved (`approved_at`). Existing follows start unapproved: until now
anyone could follow and read every such post, so approval is the author's to give again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_follower_approval"
down_revision: str | None = "0007_realtime_horizon"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("follows", sa.Column("approved_at", sa.DateTime(timezone=True)))
    op.execute(
        "COMMENT ON COLUMN follows.approved_at IS "
        "'set by the followed user: the follower sees their posts that are not public'"
    )


def downgrade() -> None:
    op.drop_column("follows", "approved_at")
