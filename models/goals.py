"""Goals and progress: goals, daily check-ins, templates, AI plans and motivations."""

import enum
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Enum,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    UniqueConstraint,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, created_at, one_of, updated_at, uuid_pk


class GoalCategory(enum.StrEnum):
    FITNESS = "fitness"
    NUTRITION = "nutrition"
    WELLNESS = "wellness"
    CUSTOM = "custom"


class GoalFrequency(enum.StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    CUSTOM = "custom"


def _values(enum_class: type[enum.StrEnum]) -> list[str]:
    return [member.value for member in enum_class]


goal_category = Enum(GoalCategory, name="goal_category", values_callable=_values)
goal_frequency = Enum(GoalFrequency, name="goal_frequency", values_callable=_values)

# Every element of reminder_times is a 24-hour HH:MM time.
HH_MM = "([01][0-9]|2[0-3]):[0-5][0-9]"
REMINDER_TIMES_CHECK = (
    "reminder_times IS NULL OR cardinality(reminder_times) = 0 OR "
    f"array_to_string(reminder_times, ',') ~ '^{HH_MM}(,{HH_MM})*$'"
)
TARGET_DAYS_CHECK = "target_days BETWEEN 1 AND 7"


class Goal(Base):
    __tablename__ = "goals"
    __table_args__ = (
        CheckConstraint(TARGET_DAYS_CHECK, name="target_days"),
        CheckConstraint(REMINDER_TIMES_CHECK, name="reminder_times"),
        CheckConstraint("length(title) BETWEEN 1 AND 200", name="title_length"),
        UniqueConstraint("id", "user_id", name="uq_goals_id_owner"),
        Index("idx_goals_user_id", "user_id"),
        Index("idx_goals_category", "category"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    title: Mapped[str]
    description: Mapped[str | None]
    category: Mapped[GoalCategory] = mapped_column(goal_category, server_default="custom")
    frequency: Mapped[GoalFrequency] = mapped_column(goal_frequency)
    target_days: Mapped[int | None] = mapped_column(comment="days per week for weekly goals")
    reminder_times: Mapped[list[str] | None]
    is_active: Mapped[bool] = mapped_column(server_default=true())
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class CheckIn(Base):
    __tablename__ = "check_ins"
    __table_args__ = (
        CheckConstraint("mood >= 1 AND mood <= 5", name="mood"),
        UniqueConstraint("goal_id", "date"),
        ForeignKeyConstraint(
            ["goal_id", "user_id"],
            ["goals.id", "goals.user_id"],
            ondelete="CASCADE",
            name="fk_check_ins_goal_owner",
        ),
        Index("idx_check_ins_goal_id", "goal_id"),
        Index("idx_check_ins_date", "date"),
        Index("idx_check_ins_user_id", "user_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    goal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("goals.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    date: Mapped[date]
    completed: Mapped[bool]
    reflection: Mapped[str | None]
    mood: Mapped[int | None] = mapped_column(comment="1-5 scale")
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class Motivation(Base):
    __tablename__ = "motivations"
    __table_args__ = (
        CheckConstraint(one_of("message_type", ("ai", "community", "system")), name="message_type"),
        CheckConstraint("opened_at IS NULL OR is_sent", name="opened_after_sent"),
        Index("idx_motivations_user_id", "user_id", "scheduled_for"),
        Index("idx_motivations_goal_id", "goal_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    goal_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("goals.id", ondelete="CASCADE"))
    message: Mapped[str]
    message_type: Mapped[str] = mapped_column(server_default="ai")
    is_sent: Mapped[bool] = mapped_column(server_default=text("false"))
    scheduled_for: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    opened_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at()


class GoalTemplate(Base):
    __tablename__ = "goal_templates"
    __table_args__ = (
        CheckConstraint(TARGET_DAYS_CHECK, name="target_days"),
        CheckConstraint(REMINDER_TIMES_CHECK, name="reminder_times"),
        Index("idx_goal_templates_category", "category"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    title: Mapped[str]
    description: Mapped[str | None]
    category: Mapped[GoalCategory] = mapped_column(goal_category)
    frequency: Mapped[GoalFrequency] = mapped_column(goal_frequency)
    target_days: Mapped[int | None]
    reminder_times: Mapped[list[str] | None]
    is_ai_generated: Mapped[bool] = mapped_column(server_default=text("false"))
    match_reason: Mapped[str | None] = mapped_column(comment="why an AI suggested it")
    created_at: Mapped[datetime] = created_at()


class ActionablePlan(Base):
    """The AI-generated plan for one goal; clients watch status go generating -> completed."""

    __tablename__ = "actionable_plans"
    __table_args__ = (
        CheckConstraint(
            one_of("status", ("pending", "generating", "completed", "failed")), name="status"
        ),
        CheckConstraint("status <> 'completed' OR plan IS NOT NULL", name="completed_has_plan"),
        UniqueConstraint("goal_id"),
        Index("idx_actionable_plans_user_id", "user_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    goal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("goals.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(server_default="pending")
    plan: Mapped[dict[str, Any] | None] = mapped_column(comment="structured plan: steps, schedule")
    error_message: Mapped[str | None]
    generated_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class DailyMotivation(Base):
    """The motivation message of the day for one user; regenerating replaces it in place."""

    __tablename__ = "daily_motivations"
    __table_args__ = (
        CheckConstraint("regeneration_count >= 0", name="regeneration_count"),
        UniqueConstraint("user_id", "date"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    date: Mapped[date]
    message: Mapped[str]
    background_style: Mapped[str | None]
    regeneration_count: Mapped[int] = mapped_column(server_default="0")
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
