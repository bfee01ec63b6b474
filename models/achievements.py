"""Gamification: the badges that exist and the ones each user unlocked."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, UniqueConstraint, func, true
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, created_at, one_of, updated_at, uuid_pk

CATEGORIES = ("streak", "check_ins", "social", "challenge", "milestone")
RULES = ("check_ins", "streak", "posts", "challenges_completed")  # evaluated: migration 0011
MAX_THRESHOLD = 100_000
KEY_PATTERN = "[a-z0-9_]{2,64}"


class AchievementType(Base):
    __tablename__ = "achievement_types"
    __table_args__ = (
        CheckConstraint(f"key ~ '^{KEY_PATTERN}$'", name="key_format"),
        CheckConstraint(one_of("category", CATEGORIES), name="category"),
        CheckConstraint("points >= 0", name="points"),
        CheckConstraint(
            "criteria IS NULL OR NOT (criteria ? 'rule') OR ("
            + one_of("criteria->>'rule'", RULES)
            + " AND "
            "CASE WHEN jsonb_typeof(criteria->'threshold') = 'number' "
            f"THEN (criteria->>'threshold')::numeric BETWEEN 1 AND {MAX_THRESHOLD} "
            "AND (criteria->>'threshold')::numeric = floor((criteria->>'threshold')::numeric) "
            "ELSE false END)",
            name="criteria",
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    key: Mapped[str] = mapped_column(unique=True, comment="stable identifier, e.g. streak_7")
    name: Mapped[str]
    description: Mapped[str | None]
    icon_url: Mapped[str | None]
    category: Mapped[str]
    criteria: Mapped[dict[str, Any] | None] = mapped_column(
        comment="the unlock rule: {rule, threshold}; see migration 0011"
    )
    points: Mapped[int] = mapped_column(server_default="0")
    is_active: Mapped[bool] = mapped_column(server_default=true())
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class UserAchievement(Base):
    __tablename__ = "user_achievements"
    __table_args__ = (
        UniqueConstraint("user_id", "achievement_type_id"),
        Index("idx_user_achievements_achievement_type_id", "achievement_type_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    achievement_type_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("achievement_types.id", ondelete="CASCADE")
    )
    goal_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("goals.id", ondelete="SET NULL"))
    unlocked_at: Mapped[datetime] = mapped_column(server_default=func.now())
    metadata_: Mapped[dict[str, Any] | None] = mapped_column("metadata")
    created_at: Mapped[datetime] = created_at()
