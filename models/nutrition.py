"""Meal tracking: logged meals and the per-day totals kept by trigger."""

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, created_at, one_of, updated_at, uuid_pk

NUTRIENTS_CHECK = "calories >= 0 AND protein_g >= 0 AND carbs_g >= 0 AND fat_g >= 0"


class MealLog(Base):
    __tablename__ = "meal_logs"
    __table_args__ = (
        CheckConstraint(
            one_of("meal_type", ("breakfast", "lunch", "dinner", "snack")), name="meal_type"
        ),
        CheckConstraint(NUTRIENTS_CHECK, name="nutrients"),
        CheckConstraint("length(name) BETWEEN 1 AND 200", name="name_length"),
        Index("idx_meal_logs_user_date", "user_id", "logged_on"),
        Index("idx_meal_logs_goal_id", "goal_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    goal_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("goals.id", ondelete="SET NULL"))
    logged_on: Mapped[date] = mapped_column(comment="the day in the user's time zone")
    meal_type: Mapped[str]
    name: Mapped[str]
    notes: Mapped[str | None]
    photo_url: Mapped[str | None]
    calories: Mapped[int] = mapped_column(server_default="0")
    protein_g: Mapped[Decimal] = mapped_column(Numeric(7, 2), server_default="0")
    carbs_g: Mapped[Decimal] = mapped_column(Numeric(7, 2), server_default="0")
    fat_g: Mapped[Decimal] = mapped_column(Numeric(7, 2), server_default="0")
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class DailyNutritionSummary(Base):
    """Totals of one user's meal_logs for one day; written only by the meal_logs trigger."""

    __tablename__ = "daily_nutrition_summaries"
    __table_args__ = (
        CheckConstraint(NUTRIENTS_CHECK + " AND meals_count >= 0", name="totals"),
        UniqueConstraint("user_id", "date"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    date: Mapped[date]
    meals_count: Mapped[int] = mapped_column(server_default="0")
    calories: Mapped[int] = mapped_column(server_default="0")
    protein_g: Mapped[Decimal] = mapped_column(Numeric(9, 2), server_default="0")
    carbs_g: Mapped[Decimal] = mapped_column(Numeric(9, 2), server_default="0")
    fat_g: Mapped[Decimal] = mapped_column(Numeric(9, 2), server_default="0")
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
