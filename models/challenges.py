"""Challenges: time-boxed competitions, their members, and (in SQL) the leaderboard view."""

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, UniqueConstraint, func, text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, created_at, one_of, updated_at, uuid_pk
from models.goals import GoalCategory, goal_category


class Challenge(Base):
    __tablename__ = "challenges"
    __table_args__ = (
        CheckConstraint(one_of("visibility", ("public", "private")), name="visibility"),
        CheckConstraint("ends_on >= starts_on", name="window"),
        CheckConstraint("max_participants > 0", name="max_participants"),
        CheckConstraint("length(title) BETWEEN 1 AND 200", name="title_length"),
        Index("idx_challenges_owner_id", "owner_id"),
        Index(
            "idx_challenges_public_starts",
            "starts_on",
            "id",
            postgresql_where=text("visibility = 'public' AND deleted_at IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    title: Mapped[str]
    description: Mapped[str | None]
    category: Mapped[GoalCategory] = mapped_column(goal_category, server_default="custom")
    visibility: Mapped[str] = mapped_column(server_default="public")
    starts_on: Mapped[date] = mapped_column(comment="first day counted, in timezone")
    ends_on: Mapped[date] = mapped_column(comment="last day counted, in timezone")
    timezone: Mapped[str] = mapped_column(server_default="UTC")
    max_participants: Mapped[int | None]
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
    deleted_at: Mapped[datetime | None] = mapped_column(comment="soft delete")


class ChallengeParticipant(Base):
    """Membership of a user in a challenge (seed 001's role pattern: owner or member)."""

    __tablename__ = "challenge_participants"
    __table_args__ = (
        CheckConstraint(one_of("role", ("owner", "member")), name="role"),
        CheckConstraint(one_of("status", ("invited", "active", "left")), name="status"),
        UniqueConstraint("challenge_id", "user_id"),
        Index("idx_challenge_participants_user_id", "user_id", "status"),
        Index("idx_challenge_participants_goal_id", "goal_id"),
        Index("idx_challenge_participants_version", "challenge_id", "score_version"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    challenge_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("challenges.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    goal_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("goals.id", ondelete="SET NULL"), comment="the goal whose check-ins count"
    )
    role: Mapped[str] = mapped_column(server_default="member")
    status: Mapped[str] = mapped_column(server_default="active")
    invited_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    score: Mapped[int] = mapped_column(
        server_default="0", comment="kept by triggers on check_ins; see migration 0006"
    )
    reached_at: Mapped[datetime] = mapped_column(
        server_default=func.now(), comment="when the score last changed"
    )
    score_version: Mapped[int] = mapped_column(
        BigInteger,
        server_default=text("nextval('challenge_score_versions')"),
        comment="orders equal scores; its maximum is the leaderboard version",
    )
    joined_at: Mapped[datetime | None]
    left_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class ChallengeScoreCount(Base):
    """How many active participants of a challenge hold a score (kept by triggers)."""

    __tablename__ = "challenge_score_counts"

    challenge_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("challenges.id", ondelete="CASCADE"), primary_key=True
    )
    score: Mapped[int] = mapped_column(primary_key=True)
    participants: Mapped[int]
