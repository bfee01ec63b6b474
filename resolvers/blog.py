"""Blog. Policy: published posts are public; drafts and archived posts are for staff only."""

import uuid
from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.blog import BlogCategory, BlogPost, BlogPostCategory, BlogPostTag, BlogTag
from resolvers.errors import NotFound
from resolvers.pagination import Order, Page, fetch_page

BLOG_ORDER = Order(BlogPost.created_at, BlogPost.id)
Linked = TypeVar("Linked", BlogCategory, BlogTag)


async def blog_posts_page(
    *,
    session: AsyncSession,
    is_staff: bool,
    category: str | None,
    tag: str | None,
    first: int | None,
    after: str | None,
) -> Page[BlogPost]:
    """Blog posts, newest first, optionally of one category or tag (by slug)."""
    query = select(BlogPost)
    if not is_staff:
        query = query.where(BlogPost.status == "published")
    if category is not None:
        query = query.where(
            BlogPost.id.in_(
                select(BlogPostCategory.post_id)
                .join(BlogCategory, BlogCategory.id == BlogPostCategory.category_id)
                .where(BlogCategory.slug == category)
            )
        )
    if tag is not None:
        query = query.where(
            BlogPost.id.in_(
                select(BlogPostTag.post_id)
                .join(BlogTag, BlogTag.id == BlogPostTag.tag_id)
                .where(BlogTag.slug == tag)
            )
        )
    return await fetch_page(session, query, BLOG_ORDER, first=first, after=after)


async def get_blog_post(*, session: AsyncSession, is_staff: bool, slug: str) -> BlogPost:
    query = select(BlogPost).where(BlogPost.slug == slug)
    if not is_staff:
        query = query.where(BlogPost.status == "published")
    post = await session.scalar(query)
    if post is None:
        raise NotFound("blog post not found")
    return post


async def _linked(
    session: AsyncSession,
    post_ids: Sequence[uuid.UUID],
    link: type[BlogPostCategory] | type[BlogPostTag],
    target: type[Linked],
    target_id: Any,
) -> list[list[Linked]]:
    """For each post, the categories or tags linked to it, by name."""
    rows = await session.execute(
        select(link.post_id, target)
        .join(target, target.id == target_id)
        .where(link.post_id.in_(post_ids))
        .order_by(target.name)
    )
    found: dict[uuid.UUID, list[Linked]] = {post_id: [] for post_id in post_ids}
    for post_id, item in rows:
        found[post_id].append(item)
    return [found[post_id] for post_id in post_ids]


async def categories_by_post_ids(
    *, session: AsyncSession, post_ids: Sequence[uuid.UUID]
) -> list[list[BlogCategory]]:
    return await _linked(
        session, post_ids, BlogPostCategory, BlogCategory, BlogPostCategory.category_id
    )


async def tags_by_post_ids(
    *, session: AsyncSession, post_ids: Sequence[uuid.UUID]
) -> list[list[BlogTag]]:
    return await _linked(session, post_ids, BlogPostTag, BlogTag, BlogPostTag.tag_id)


async def list_categories(*, session: AsyncSession) -> Sequence[BlogCategory]:
    return (await session.scalars(select(BlogCategory).order_by(BlogCategory.name))).all()
