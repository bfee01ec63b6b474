"""The feed domain: post visibility (the posts policy), feeds, comments, reactions."""

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.social import Comment, Follow, Like, Post
from resolvers import users as users_service
from resolvers.errors import NotFound, Unauthenticated
from resolvers.pagination import Order, Page, fetch_page, page_size, to_page

POST_ORDER = Order(Post.created_at, Post.id)
COMMENT_ORDER = Order(Comment.created_at, Comment.id, descending=False)


def followed_by(viewer_id: uuid.UUID) -> Any:
    return select(Follow.following_id).where(Follow.follower_id == viewer_id)


def visible_posts(viewer_id: uuid.UUID | None) -> ColumnElement[bool]:
    """Posts policy: live posts that are public, or the viewer's own, or by someone the
    viewer follows. Anonymous viewers see public posts only."""
    if viewer_id is None:
        return Post.deleted_at.is_(None) & Post.is_public
    return Post.deleted_at.is_(None) & or_(
        Post.is_public, Post.user_id == viewer_id, Post.user_id.in_(followed_by(viewer_id))
    )


async def get_post(
    *, session: AsyncSession, viewer_id: uuid.UUID | None, post_id: uuid.UUID
) -> Post:
    post = await session.scalar(select(Post).where(Post.id == post_id, visible_posts(viewer_id)))
    if post is None:
        raise NotFound("post not found")
    return post


async def feed_page(
    *, session: AsyncSession, viewer_id: uuid.UUID | None, first: int | None, after: str | None
) -> Page[Post]:
    """The viewer's feed, newest first: their own posts and those of people they follow, plus
    public posts unless they chose show_following_only. Soft-deleted posts never appear."""
    if viewer_id is None:
        raise Unauthenticated("sign in to see your feed")
    preferences = await users_service.feed_preferences(session=session, user_id=viewer_id)
    everyone = false() if preferences.show_following_only else Post.is_public
    query = select(Post).where(
        Post.deleted_at.is_(None),
        or_(Post.user_id == viewer_id, Post.user_id.in_(followed_by(viewer_id)), everyone),
    )
    return await fetch_page(session, query, POST_ORDER, first=first, after=after)


async def posts_by_author_page(
    *,
    session: AsyncSession,
    viewer_id: uuid.UUID | None,
    author_id: uuid.UUID,
    first: int | None,
    after: str | None,
) -> Page[Post]:
    query = select(Post).where(Post.user_id == author_id, visible_posts(viewer_id))
    return await fetch_page(session, query, POST_ORDER, first=first, after=after)


async def viewer_reactions(
    *, session: AsyncSession, viewer_id: uuid.UUID, post_ids: Sequence[uuid.UUID]
) -> list[str | None]:
    """The viewer's reaction type on each post, or None."""
    rows = await session.execute(
        select(Like.post_id, Like.reaction_type).where(
            Like.user_id == viewer_id, Like.post_id.in_(post_ids)
        )
    )
    reactions = dict(rows.all())
    return [reactions.get(post_id) for post_id in post_ids]


async def first_comments(
    *, session: AsyncSession, post_ids: Sequence[uuid.UUID], first: int | None
) -> list[Page[Comment]]:
    """The oldest live comments of each post, up to `first` each, in one query."""
    limit = page_size(first)
    position = (
        func.row_number()
        .over(partition_by=Comment.post_id, order_by=(Comment.created_at, Comment.id))
        .label("position")
    )
    ranked = (
        select(Comment, position)
        .where(Comment.post_id.in_(post_ids), Comment.deleted_at.is_(None))
        .subquery()
    )
    numbered = select(Comment).from_statement(
        select(ranked)
        .where(ranked.c.position <= limit + 1)
        .order_by(ranked.c.post_id, ranked.c.position)
    )
    by_post: dict[uuid.UUID, list[Comment]] = {post_id: [] for post_id in post_ids}
    for comment in await session.scalars(numbered):
        by_post[comment.post_id].append(comment)
    return [to_page(by_post[post_id], COMMENT_ORDER, limit) for post_id in post_ids]


async def comments_page(
    *, session: AsyncSession, post_id: uuid.UUID, first: int | None, after: str | None
) -> Page[Comment]:
    query = select(Comment).where(Comment.post_id == post_id, Comment.deleted_at.is_(None))
    return await fetch_page(session, query, COMMENT_ORDER, first=first, after=after)
