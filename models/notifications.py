"""Notifications sent to a user, with their delivery and read state."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, created_at, one_of, updated_at, uuid_pk

NOTIFICATION_TYPES = (
    "reminder",
    "motivation",
    "follow",
    "reaction",
    "comment",
    "achievement",
    "partner_request",
    "challenge",
    "system",
)


class NotificationHistory(Base):
    __tablename__ = "notification_history"
    __table_args__ = (
        CheckConstraint(one_of("notification_type", NOTIFICATION_TYPES), name="notification_type"),
        CheckConstraint(one_of("channel", ("push", "email", "in_app")), name="channel"),
        CheckConstraint(
            one_of("delivery_status", ("pending", "sent", "delivered", "failed")),
            name="delivery_status",
        ),
        CheckConstraint("actor_id IS NULL OR actor_id <> user_id", name="not_self"),
        Index("idx_notification_history_user_created", "user_id", text("created_at DESC"), "id"),
        Index(
            "idx_notification_history_user_unread",
            "user_id",
            text("created_at DESC"),
            postgresql_where=text("read_at IS NULL"),
        ),
        Index("idx_notification_history_actor_id", "actor_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    actor_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), comment="who caused it (follower, reactor...)"
    )
    notification_type: Mapped[str]
    title: Mapped[str]
    body: Mapped[str | None]
    data: Mapped[dict[str, Any] | None] = mapped_column(comment="ids the client needs to navigate")
    channel: Mapped[str] = mapped_column(server_default="in_app")
    delivery_status: Mapped[str] = mapped_column(server_default="pending")
    sent_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    read_at: Mapped[datetime | None]
    error_message: Mapped[str | None]
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


EMAIL_TEMPLATES = (
    "verify_email",
    "sign_up_attempt",
    "reset_password",
    "change_email",
    "email_changed",
)


class OutboundEmail(Base):
    """An email for the mailer to send (any process that reads this table: it sets `sent_at`,
    or `error`, and should delete what it sent, which may hold a verification token)."""

    __tablename__ = "outbound_emails"
    __table_args__ = (
        CheckConstraint(one_of("template", EMAIL_TEMPLATES), name="template"),
        Index("idx_outbound_emails_unsent", "created_at", postgresql_where=text("sent_at IS NULL")),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    to_address: Mapped[str]
    template: Mapped[str]
    data: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))
    sent_at: Mapped[datetime | None]
    error: Mapped[str | None]
    created_at: Mapped[datetime] = created_at()
