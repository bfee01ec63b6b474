"""The social graph and feed: posts, comments, reactions, follows, partners."""

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, UniqueConstraint, func, text, true
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, created_at, one_of, updated_at, uuid_pk

POST_MAX_LENGTH = 10_000
COMMENT_MAX_LENGTH = 2_000
REACTIONS = ("like", "cheer", "love")


class Post(Base):
    __tablename__ = "posts"
    __table_args__ = (
        CheckConstraint(one_of("media_type", ("text", "voice", "image")), name="media_type"),
        CheckConstraint(f"length(content) <= {POST_MAX_LENGTH}", name="content_length"),
        CheckConstraint(
            "coalesce(length(trim(content)), 0) > 0 OR media_url IS NOT NULL",
            name="content_not_empty",
        ),
        CheckConstraint("likes_count >= 0 AND comments_count >= 0", name="counters"),
        Index("idx_posts_user_id", "user_id"),
        Index("idx_posts_created_at", text("created_at DESC")),
        Index("idx_posts_media_type", "media_type"),
        Index(
            "idx_posts_live_created",
            text("created_at DESC"),
            text("id DESC"),
            postgresql_where=text("deleted_at IS NULL"),
        ),
        Index(
            "idx_posts_live_user_created",
            "user_id",
            text("created_at DESC"),
            text("id DESC"),
            postgresql_where=text("deleted_at IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    content: Mapped[str | None]
    media_url: Mapped[str | None] = mapped_column(comment="for voice posts")
    media_type: Mapped[str | None]
    is_public: Mapped[bool] = mapped_column(server_default=true())
    likes_count: Mapped[int] = mapped_column(server_default="0", comment="kept by trigger")
    comments_count: Mapped[int] = mapped_column(server_default="0", comment="kept by trigger")
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
    deleted_at: Mapped[datetime | None] = mapped_column(comment="soft delete")


class Comment(Base):
    __tablename__ = "comments"
    __table_args__ = (
        CheckConstraint(
            f"length(trim(content)) > 0 AND length(content) <= {COMMENT_MAX_LENGTH}",
            name="content_length",
        ),
        Index("idx_comments_post_id", "post_id"),
        Index(
            "idx_comments_live_post_created",
            "post_id",
            "created_at",
            "id",
            postgresql_where=text("deleted_at IS NULL"),
        ),
        Index("idx_comments_user_id", "user_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    post_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    content: Mapped[str]
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
    deleted_at: Mapped[datetime | None] = mapped_column(comment="soft delete")


class Like(Base):
    """A reaction to a post; one per user and post."""

    __tablename__ = "likes"
    __table_args__ = (
        CheckConstraint(one_of("reaction_type", REACTIONS), name="reaction_type"),
        UniqueConstraint("post_id", "user_id"),
        Index("idx_likes_post_id", "post_id"),
        Index("idx_likes_user_id", "user_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    post_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    reaction_type: Mapped[str] = mapped_column(server_default="like")
    created_at: Mapped[datetime] = created_at()


class Follow(Base):
    __tablename__ = "follows"
    __table_args__ = (
        UniqueConstraint("follower_id", "following_id"),
        CheckConstraint("follower_id <> following_id", name="not_self"),
        Index("idx_follows_follower_id", "follower_id"),
        Index("idx_follows_following_id", "following_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    follower_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    following_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    approved_at: Mapped[datetime | None] = mapped_column(
        comment="set by the followed user: the follower sees their posts that are not public"
    )
    created_at: Mapped[datetime] = created_at()


class FeedPreference(Base):
    __tablename__ = "feed_preferences"
    __table_args__ = (UniqueConstraint("user_id"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    show_ai_posts: Mapped[bool] = mapped_column(server_default=true())
    show_community_posts: Mapped[bool] = mapped_column(server_default=true())
    show_following_only: Mapped[bool] = mapped_column(server_default=text("false"))
    categories: Mapped[list[str] | None] = mapped_column(comment="categories to show")
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class AccountabilityPartner(Base):
    """A partnership request from one user to another, and its answer."""

    __tablename__ = "accountability_partners"
    __table_args__ = (
        CheckConstraint(
            one_of("status", ("pending", "accepted", "declined", "ended")), name="status"
        ),
        CheckConstraint("requester_id <> partner_id", name="not_self"),
        CheckConstraint("status <> 'accepted' OR accepted_at IS NOT NULL", name="accepted_at"),
        Index(
            "uq_accountability_partners_pair",
            func.least(text("requester_id"), text("partner_id")),
            func.greatest(text("requester_id"), text("partner_id")),
            unique=True,
        ),
        Index("idx_accountability_partners_partner_id", "partner_id", "status"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    requester_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    partner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(server_default="pending")
    message: Mapped[str | None]
    accepted_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
