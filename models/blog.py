"""Editorial content: blog posts, categories and tags."""

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, created_at, one_of, updated_at, uuid_pk

SLUG_CHECK = "slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'"


class BlogPost(Base):
    __tablename__ = "blog_posts"
    __table_args__ = (
        CheckConstraint(one_of("status", ("draft", "published", "archived")), name="status"),
        CheckConstraint(SLUG_CHECK, name="slug_format"),
        CheckConstraint("status <> 'published' OR published_at IS NOT NULL", name="published_at"),
        Index("idx_blog_posts_slug", "slug"),
        Index("idx_blog_posts_status", "status"),
        Index("idx_blog_posts_published_at", text("published_at DESC")),
        Index("idx_blog_posts_author_id", "author_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    title: Mapped[str]
    slug: Mapped[str] = mapped_column(unique=True)
    content: Mapped[str] = mapped_column(comment="rich text")
    excerpt: Mapped[str | None]
    featured_image_url: Mapped[str | None]
    status: Mapped[str] = mapped_column(server_default="draft")
    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class BlogCategory(Base):
    __tablename__ = "blog_categories"
    __table_args__ = (CheckConstraint(SLUG_CHECK, name="slug_format"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str]
    slug: Mapped[str] = mapped_column(unique=True)
    description: Mapped[str | None]
    created_at: Mapped[datetime] = created_at()


class BlogPostCategory(Base):
    __tablename__ = "blog_post_categories"
    __table_args__ = (
        UniqueConstraint("post_id", "category_id"),
        Index("idx_blog_post_categories_category_id", "category_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    post_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("blog_posts.id", ondelete="CASCADE"))
    category_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("blog_categories.id", ondelete="CASCADE")
    )
    created_at: Mapped[datetime] = created_at()


class BlogTag(Base):
    __tablename__ = "blog_tags"
    __table_args__ = (CheckConstraint(SLUG_CHECK, name="slug_format"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str]
    slug: Mapped[str] = mapped_column(unique=True)
    created_at: Mapped[datetime] = created_at()


class BlogPostTag(Base):
    __tablename__ = "blog_post_tags"
    __table_args__ = (
        UniqueConstraint("post_id", "tag_id"),
        Index("idx_blog_post_tags_tag_id", "tag_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    post_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("blog_posts.id", ondelete="CASCADE"))
    tag_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("blog_tags.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = created_at()
