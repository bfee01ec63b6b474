"""Writing to the feed: posts, comments, reactions, follows. Each change that concerns
someone else notifies them in the same transaction."""

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, literal_column, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from models.social import (
    COMMENT_MAX_LENGTH,
    POST_MAX_LENGTH,
    REACTIONS,
    Comment,
    FeedPreference,
    Follow,
    Like,
    Post,
)
from models.users import User
from resolvers import users as users_service
from resolvers import validation
from resolvers.errors import BadUserInput, Forbidden, NotFound
from resolvers.notifications_commands import notify
from resolvers.social import get_post

MEDIA_TYPES = ("text", "voice", "image")
FEED_PREFERENCE_FIELDS = (
    "show_ai_posts",
    "show_community_posts",
    "show_following_only",
    "categories",
)


def _post_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    clean = dict(fields)
    if "content" in clean:
        clean["content"] = validation.optional_text(
            clean["content"], field="content", maximum=POST_MAX_LENGTH
        )
    if "media_url" in clean:
        clean["media_url"] = validation.url(clean["media_url"], field="mediaUrl")
    if clean.get("media_type") not in (None, *MEDIA_TYPES):
        raise BadUserInput("unknown media type", field="mediaType")
    return clean


def _check_post(post: Post) -> None:
    if not post.content and not post.media_url:
        raise BadUserInput("a post needs content or media", field="content")


async def create_post(
    *, session: AsyncSession, author_id: uuid.UUID, fields: Mapping[str, Any]
) -> Post:
    post = Post(user_id=author_id, **_post_fields(fields))
    _check_post(post)
    session.add(post)
    await session.commit()
    return post


async def _own_post(session: AsyncSession, viewer_id: uuid.UUID, post_id: uuid.UUID) -> Post:
    """A post the viewer wrote: NOT_FOUND if they cannot see it, FORBIDDEN if not theirs."""
    post = await get_post(session=session, viewer_id=viewer_id, post_id=post_id)
    if post.user_id != viewer_id:
        raise Forbidden("only the author can change this post")
    return post


async def update_post(
    *,
    session: AsyncSession,
    viewer_id: uuid.UUID,
    post_id: uuid.UUID,
    changes: Mapping[str, Any],
) -> Post:
    post = await _own_post(session, viewer_id, post_id)
    for name, value in _post_fields(changes).items():
        setattr(post, name, value)
    _check_post(post)
    await session.commit()
    return post


async def delete_post(*, session: AsyncSession, viewer_id: uuid.UUID, post_id: uuid.UUID) -> None:
    """Soft delete: the post disappears everywhere; its row stays for moderation."""
    post = await _own_post(session, viewer_id, post_id)
    post.deleted_at = datetime.now(UTC)
    await session.commit()


async def react(
    *, session: AsyncSession, viewer_id: uuid.UUID, post_id: uuid.UUID, reaction: str
) -> Post:
    """Sets the viewer's reaction to a post: one per viewer and post, whatever the number of
    devices or retries; a new reaction notifies the author, a changed one does not."""
    if reaction not in REACTIONS:
        raise BadUserInput("unknown reaction", field="reaction")
    post = await get_post(session=session, viewer_id=viewer_id, post_id=post_id)
    inserted = await session.scalar(
        insert(Like)
        .values(post_id=post.id, user_id=viewer_id, reaction_type=reaction)
        .on_conflict_do_update(
            index_elements=[Like.post_id, Like.user_id], set_={"reaction_type": reaction}
        )
        .returning(literal_column("xmax = 0"))
    )
    if inserted:
        notify(
            session,
            recipient_id=post.user_id,
            actor_id=viewer_id,
            notification_type="reaction",
            title="reacted to your post",
            data={"postId": str(post.id), "reaction": reaction},
        )
    await session.commit()
    return await _fresh_post(session, post.id)


async def unreact(*, session: AsyncSession, viewer_id: uuid.UUID, post_id: uuid.UUID) -> Post:
    """Removes the viewer's reaction, if any."""
    post = await get_post(session=session, viewer_id=viewer_id, post_id=post_id)
    await session.execute(delete(Like).where(Like.post_id == post.id, Like.user_id == viewer_id))
    await session.commit()
    return await _fresh_post(session, post.id)


async def _fresh_post(session: AsyncSession, post_id: uuid.UUID) -> Post:
    """The post re-read, with the counters its triggers just moved."""
    post = await session.scalar(
        select(Post).where(Post.id == post_id).execution_options(populate_existing=True)
    )
    assert post is not None
    return post


async def add_comment(
    *, session: AsyncSession, viewer_id: uuid.UUID, post_id: uuid.UUID, content: str
) -> Comment:
    post = await get_post(session=session, viewer_id=viewer_id, post_id=post_id)
    comment = Comment(
        post_id=post.id,
        user_id=viewer_id,
        content=validation.text(content, field="content", maximum=COMMENT_MAX_LENGTH),
    )
    session.add(comment)
    await session.flush()
    notify(
        session,
        recipient_id=post.user_id,
        actor_id=viewer_id,
        notification_type="comment",
        title="commented on your post",
        data={"postId": str(post.id), "commentId": str(comment.id)},
    )
    await session.commit()
    return comment


async def _visible_comment(
    session: AsyncSession, viewer_id: uuid.UUID, comment_id: uuid.UUID
) -> tuple[Comment, Post]:
    comment = await session.scalar(
        select(Comment).where(Comment.id == comment_id, Comment.deleted_at.is_(None))
    )
    if comment is None:
        raise NotFound("comment not found")
    try:
        post = await get_post(session=session, viewer_id=viewer_id, post_id=comment.post_id)
    except NotFound:
        raise NotFound("comment not found") from None
    return comment, post


async def update_comment(
    *, session: AsyncSession, viewer_id: uuid.UUID, comment_id: uuid.UUID, content: str
) -> Comment:
    comment, _ = await _visible_comment(session, viewer_id, comment_id)
    if comment.user_id != viewer_id:
        raise Forbidden("only the author can edit this comment")
    comment.content = validation.text(content, field="content", maximum=COMMENT_MAX_LENGTH)
    await session.commit()
    return comment


async def delete_comment(
    *, session: AsyncSession, viewer_id: uuid.UUID, comment_id: uuid.UUID
) -> None:
    """Soft delete, by the comment's author or the post's author."""
    comment, post = await _visible_comment(session, viewer_id, comment_id)
    if viewer_id not in (comment.user_id, post.user_id):
        raise Forbidden("only the comment's or the post's author can delete this comment")
    comment.deleted_at = datetime.now(UTC)
    await session.commit()


async def follow(*, session: AsyncSession, viewer_id: uuid.UUID, user_id: uuid.UUID) -> User:
    """Follows an active user; following again changes nothing and notifies no one."""
    if user_id == viewer_id:
        raise BadUserInput("you cannot follow yourself", field="userId")
    target = await session.scalar(select(User).where(User.id == user_id, User.is_active))
    if target is None:
        raise NotFound("user not found")
    new_follow = await session.scalar(
        insert(Follow)
        .values(follower_id=viewer_id, following_id=user_id)
        .on_conflict_do_nothing()
        .returning(Follow.id)
    )
    if new_follow is not None:
        notify(
            session,
            recipient_id=user_id,
            actor_id=viewer_id,
            notification_type="follow",
            title="started following you",
            data={"userId": str(viewer_id)},
        )
    await session.commit()
    return target


async def unfollow(*, session: AsyncSession, viewer_id: uuid.UUID, user_id: uuid.UUID) -> User:
    target = await session.get(User, user_id)
    if target is None or not target.is_active:
        raise NotFound("user not found")
    await session.execute(
        delete(Follow).where(Follow.follower_id == viewer_id, Follow.following_id == user_id)
    )
    await session.commit()
    return target


async def approve_follower(
    *, session: AsyncSession, viewer_id: uuid.UUID, user_id: uuid.UUID, approved: bool
) -> User:
    """Lets a follower see the viewer's posts that are not public (or stops it); NOT_FOUND
    when they do not follow the viewer. Repeating it changes nothing."""
    follower = await session.scalar(select(User).where(User.id == user_id, User.is_active))
    follow = await session.scalar(
        select(Follow).where(Follow.follower_id == user_id, Follow.following_id == viewer_id)
    )
    if follower is None or follow is None:
        raise NotFound("this user does not follow you")
    if approved != (follow.approved_at is not None):
        follow.approved_at = datetime.now(UTC) if approved else None
    await session.commit()
    return follower


async def remove_follower(
    *, session: AsyncSession, viewer_id: uuid.UUID, user_id: uuid.UUID
) -> None:
    """Ends someone's follow of the viewer (idempotent); they may follow again, unapproved."""
    await session.execute(
        delete(Follow).where(Follow.follower_id == user_id, Follow.following_id == viewer_id)
    )
    await session.commit()


async def update_feed_preferences(
    *, session: AsyncSession, viewer_id: uuid.UUID, changes: Mapping[str, Any]
) -> users_service.FeedSettings:
    unknown = set(changes) - set(FEED_PREFERENCE_FIELDS)
    assert not unknown, unknown
    categories = changes.get("categories")
    if categories is not None and (
        len(categories) > 20 or any(not 1 <= len(c) <= 50 for c in categories)
    ):
        raise BadUserInput("at most 20 categories of 1-50 characters", field="categories")
    values = dict(changes)
    statement = insert(FeedPreference).values(user_id=viewer_id, **values)
    if values:
        statement = statement.on_conflict_do_update(
            index_elements=[FeedPreference.user_id], set_=values
        )
    else:
        statement = statement.on_conflict_do_nothing()
    await session.execute(statement)
    await session.commit()
    return await users_service.feed_preferences(session=session, user_id=viewer_id)
