"""account lifecycle: sign out everywhere, password reset, email change

Revision ID: 0012_account_lifecycle
Revises: 0011_achievements

- `users.session_version`: access tokens carry it (claim `sv`); raising it (sign out
  everywhere, a new password, a reset) makes every access token issued before invalid at
  once, and ends the account's sockets.
- `email_verifications.purpose`: the single-use links of one table serve three purposes:
  confirming a new account's address (`verify_email`), resetting a password
  (`reset_password`), and confirming a new address (`change_email`, with `new_email`).
- `outbound_emails.template`: the messages those links travel in, and the notice to the old
  address after a change.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_account_lifecycle"
down_revision: str | None = "0011_achievements"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_TEMPLATES = "template IN ('verify_email', 'sign_up_attempt')"
TEMPLATES = (
    "template IN ('verify_email', 'sign_up_attempt', 'reset_password', 'change_email', "
    "'email_changed')"
)


def upgrade() -> None:
    op.add_column(
        "users",
        sa.Column(
            "session_version",
            sa.Integer(),
            server_default="0",
            nullable=False,
            comment="access tokens of an older version are refused",
        ),
    )
    op.add_column(
        "email_verifications",
        sa.Column("purpose", sa.Text(), server_default="verify_email", nullable=False),
    )
    op.add_column("email_verifications", sa.Column("new_email", sa.Text(), nullable=True))
    op.create_check_constraint(
        op.f("ck_email_verifications_purpose"),
        "email_verifications",
        "purpose IN ('verify_email', 'reset_password', 'change_email')",
    )
    op.create_check_constraint(
        op.f("ck_email_verifications_new_email"),
        "email_verifications",
        "(purpose = 'change_email') = (new_email IS NOT NULL)",
    )
    op.drop_constraint(op.f("ck_outbound_emails_template"), "outbound_emails", type_="check")
    op.create_check_constraint(op.f("ck_outbound_emails_template"), "outbound_emails", TEMPLATES)


def downgrade() -> None:
    op.execute(
        "DELETE FROM outbound_emails WHERE template NOT IN ('verify_email', 'sign_up_attempt')"
    )
    op.drop_constraint(op.f("ck_outbound_emails_template"), "outbound_emails", type_="check")
    op.create_check_constraint(
        op.f("ck_outbound_emails_template"), "outbound_emails", OLD_TEMPLATES
    )
    op.execute("DELETE FROM email_verifications WHERE purpose <> 'verify_email'")
    op.drop_constraint(
        op.f("ck_email_verifications_new_email"), "email_verifications", type_="check"
    )
    op.drop_constraint(op.f("ck_email_verifications_purpose"), "email_verifications", type_="check")
    op.drop_column("email_verifications", "new_email")
    op.drop_column("email_verifications", "purpose")
    op.drop_column("users", "session_version")
