"""The feed domain: post visibility (the posts policy, in SQL and in memory), feeds,
comments, reactions.

Posts policy: a post is visible when it is not deleted, its author's account is active, and
it is public, or the viewer's own, or by an author who approved the viewer as a follower.
The feed: the visible posts that are the viewer's own, by people the viewer follows, or (unless
showFollowingOnly) anyone's.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.among import among
from models.social import Comment, FeedPreference, Follow, Like, Post
from models.users import User
from resolvers.errors import NotFound, Unauthenticated
from resolvers.pagination import Order, Page, fetch_page, first_pages

POST_ORDER = Order(Post.created_at, Post.id)
COMMENT_ORDER = Order(Comment.created_at, Comment.id, descending=False)


def followed_by(viewer_id: uuid.UUID) -> Any:
    return select(Follow.following_id).where(Follow.follower_id == viewer_id)


def approving(viewer_id: uuid.UUID) -> Any:
    """The authors who approved the viewer as a follower."""
    return select(Follow.following_id).where(
        Follow.follower_id == viewer_id, Follow.approved_at.is_not(None)
    )


def visible_posts(viewer_id: uuid.UUID | None) -> ColumnElement[bool]:
    """The posts policy, in SQL (its in-memory twin: Audience.sees)."""
    live = Post.deleted_at.is_(None) & exists().where(User.id == Post.user_id, User.is_active)
    if viewer_id is None:
        return live & Post.is_public
    return live & or_(
        Post.is_public, Post.user_id == viewer_id, Post.user_id.in_(approving(viewer_id))
    )


@dataclass
class Audience:
    """A viewer's side of the posts policy, held in memory by a subscription and kept current
    from the viewer's follow events: whom they follow, and who approved them."""

    viewer_id: uuid.UUID | None
    followed: set[uuid.UUID] = field(default_factory=set)
    approved_by: set[uuid.UUID] = field(default_factory=set)

    def sees(
        self, *, author_id: uuid.UUID, is_public: bool, deleted: bool, author_active: bool
    ) -> bool:
        """The posts policy, in memory (its SQL twin: visible_posts)."""
        if deleted or not author_active:
            return False
        return is_public or author_id == self.viewer_id or author_id in self.approved_by

    def in_feed(self, author_id: uuid.UUID, *, following_only: bool) -> bool:
        """Whether a visible post of the author belongs in the viewer's feed."""
        return author_id == self.viewer_id or author_id in self.followed or not following_only

    def follow_changed(self, author_id: uuid.UUID, follow: Follow | None) -> None:
        """Applies the viewer's follow of the author as it now is (None: not following)."""
        self.followed.discard(author_id)
        self.approved_by.discard(author_id)
        if follow is not None:
            self.followed.add(author_id)
            if follow.approved_at is not None:
                self.approved_by.add(author_id)


async def audience_of(*, session: AsyncSession, viewer_id: uuid.UUID | None) -> Audience:
    """The viewer's follows and approvals, read once."""
    if viewer_id is None:
        return Audience(None)
    (audience,) = await audiences_of(session=session, viewer_ids=[viewer_id])
    return audience


async def audiences_of(*, session: AsyncSession, viewer_ids: Sequence[uuid.UUID]) -> list[Audience]:
    """Each viewer's follows and approvals, in one query."""
    audiences = {viewer_id: Audience(viewer_id) for viewer_id in viewer_ids}
    rows = await session.execute(
        select(Follow.follower_id, Follow.following_id, Follow.approved_at).where(
            Follow.follower_id.in_(viewer_ids)
        )
    )
    for viewer_id, author_id, approved_at in rows:
        audiences[viewer_id].followed.add(author_id)
        if approved_at is not None:
            audiences[viewer_id].approved_by.add(author_id)
    return [audiences[viewer_id] for viewer_id in viewer_ids]


@dataclass(frozen=True)
class PostState:
    """A post as an event delivers it: the row and whether its author is active."""

    post: Post
    author_active: bool


async def post_state(*, session: AsyncSession, post_id: uuid.UUID) -> PostState | None:
    row = (
        await session.execute(
            select(Post, User.is_active)
            .join(User, User.id == Post.user_id)
            .where(Post.id == post_id)
        )
    ).first()
    return PostState(row[0], bool(row[1])) if row is not None else None


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
    following_only = exists().where(
        FeedPreference.user_id == viewer_id, FeedPreference.show_following_only
    )
    everyone = Post.is_public & ~following_only
    query = select(Post).where(
        visible_posts(viewer_id),
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
            Like.user_id == viewer_id, among(Like.post_id, post_ids)
        )
    )
    reactions = dict(rows.all())
    return [reactions.get(post_id) for post_id in post_ids]


async def first_comments(
    *, session: AsyncSession, post_ids: Sequence[uuid.UUID], first: int | None
) -> list[Page[Comment]]:
    """The oldest live comments of each post, up to `first` each, in one query."""
    query = select(Comment).where(Comment.deleted_at.is_(None))
    return await first_pages(session, query, COMMENT_ORDER, Comment.post_id, post_ids, first=first)


async def first_posts_by_authors(
    *,
    session: AsyncSession,
    viewer_id: uuid.UUID | None,
    author_ids: Sequence[uuid.UUID],
    first: int | None,
) -> list[Page[Post]]:
    """The newest posts of each author that the viewer may see, up to `first` each, in one
    query."""
    query = select(Post).where(visible_posts(viewer_id))
    return await first_pages(session, query, POST_ORDER, Post.user_id, author_ids, first=first)


async def comments_page(
    *, session: AsyncSession, post_id: uuid.UUID, first: int | None, after: str | None
) -> Page[Comment]:
    query = select(Comment).where(Comment.post_id == post_id, Comment.deleted_at.is_(None))
    return await fetch_page(session, query, COMMENT_ORDER, first=first, after=after)
