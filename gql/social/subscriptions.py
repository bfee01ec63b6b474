"""Realtime fields of the feed."""

import enum
import uuid
from collections.abc import AsyncGenerator, AsyncIterator
from functools import partial

import strawberry
from sqlalchemy import select

from gql.context import Context, Info
from gql.events import ChangeType, changes, context_changes
from gql.fanout import delivered_directly
from gql.groups import run_in_group
from gql.ids import parse_id
from gql.social.types import Comment, Post
from models import social as social_models
from resolvers import social as social_service
from resolvers import users as users_service
from resolvers.errors import NotFound
from subscriptions.log import LogEvent
from subscriptions.stream import Resync

VISIBILITY_COLUMNS = {"is_public", "deleted_at"}


@strawberry.enum
class ActivityKind(enum.Enum):
    COMMENT = "comments"
    REACTION = "likes"
    POST = "posts"


@strawberry.type
class PostActivityEvent:
    cursor: str = strawberry.field(description="Pass as `after` to resume after this event.")
    type: ChangeType
    kind: ActivityKind | None = strawberry.field(description="Null for RESYNC.")
    comment_id: strawberry.ID | None
    comment: Comment | None = strawberry.field(description="For COMMENT created or edited.")
    likes_count: int | None
    comments_count: int | None


async def _read_post(context: Context, post_id: uuid.UUID) -> social_models.Post | None:
    async with context.sessionmaker() as session:
        return await session.get(social_models.Post, post_id)


async def _read_comment(context: Context, event: LogEvent) -> social_models.Comment | None:
    async with context.sessionmaker() as session:
        return await session.get(social_models.Comment, event.row_id)


def _visibility_event(event: PostActivityEvent) -> bool:
    """A POST event that may read differently per viewer (a visibility change ends it)."""
    return event.kind is ActivityKind.POST and event.type is ChangeType.DELETED


async def _activity(
    context: Context, field: str, viewer_id: uuid.UUID | None, post_id: uuid.UUID, after: str | None
) -> AsyncIterator[PostActivityEvent]:
    """A post's activity as `viewer_id` (None: anonymous) sees it, after the cursor."""
    topics = {f"post_id:{post_id}", f"id:{post_id}"}
    tables = {"comments", "likes", "posts"}
    async for item in context_changes(context, field, topics=topics, tables=tables, after=after):
        if isinstance(item, Resync):
            yield PostActivityEvent(
                cursor=str(item.cursor), type=ChangeType.RESYNC, kind=None, comment_id=None,
                comment=None, likes_count=None, comments_count=None,
            )  # fmt: skip
            continue
        kind = ActivityKind(item.table)
        if kind is ActivityKind.POST and (
            item.operation == "DELETE" or VISIBILITY_COLUMNS & set(item.changed)
        ):
            try:
                async with context.sessionmaker() as session:
                    await social_service.get_post(
                        session=session, viewer_id=viewer_id, post_id=post_id
                    )
            except NotFound:
                yield PostActivityEvent(
                    cursor=str(item.cursor), type=ChangeType.DELETED, kind=kind,
                    comment_id=None, comment=None, likes_count=None, comments_count=None,
                )  # fmt: skip
                return
        rows = context.realtime.rows
        post = await rows.load(item, partial(_read_post, context, post_id), what="post")
        comment = None
        change = ChangeType(item.operation)
        if kind is ActivityKind.COMMENT and item.operation != "DELETE":
            comment = await rows.load(item, partial(_read_comment, context, item))
            if comment is None or comment.deleted_at is not None:
                change, comment = ChangeType.DELETED, None
        yield PostActivityEvent(
            cursor=str(item.cursor),
            type=change,
            kind=kind,
            comment_id=strawberry.ID(str(item.row_id)) if kind is ActivityKind.COMMENT else None,
            comment=Comment.from_model(comment) if comment is not None else None,
            likes_count=post.likes_count if post is not None else None,
            comments_count=post.comments_count if post is not None else None,
        )


@strawberry.type
class SocialSubscriptions:
    @strawberry.subscription(
        description="Live activity on a post the viewer may see: comments added, edited or "
        "deleted, reactions, and the new likesCount/commentsCount. Ends with a POST DELETED "
        "event if the post is deleted or stops being visible to the viewer."
    )
    @delivered_directly
    async def post_activity(
        self, info: Info, post_id: strawberry.ID, after: str | None = None
    ) -> AsyncGenerator[PostActivityEvent, None]:
        viewer_id = info.context.signed_in_id
        post_uuid = parse_id(post_id, field="postId")
        async with info.context.sessionmaker() as session:
            post = await social_service.get_post(
                session=session, viewer_id=viewer_id, post_id=post_uuid
            )
        field = info.field_name
        if after is None and post.is_public:
            # Everyone who may see a public post sees the same activity until its visibility
            # changes: one stream for all of them, then each carries on with its own.
            after = await run_in_group(
                info,
                events=lambda context, start: _activity(context, field, None, post_uuid, start),
                dissolves=_visibility_event,
            )
        async for event in _activity(info.context, field, viewer_id, post_uuid, after):
            yield event


@strawberry.type
class FeedEvent:
    cursor: str = strawberry.field(description="Pass as `after` to resume after this event.")
    type: ChangeType
    post_id: strawberry.ID | None
    post: Post | None = strawberry.field(description="Null for DELETED and RESYNC.")


async def _followed(info: Info, viewer_id: uuid.UUID) -> set[uuid.UUID]:
    async with info.context.sessionmaker() as session:
        return set(
            await session.scalars(
                select(social_models.Follow.following_id).where(
                    social_models.Follow.follower_id == viewer_id
                )
            )
        )


@strawberry.type
class FeedSubscriptions:
    @strawberry.subscription(
        description="Posts created, updated or deleted that belong in the viewer's feed (the "
        "rule of the feed query). Following or unfollowing someone changes what arrives at "
        "once; a post that stops being visible arrives as DELETED."
    )
    @delivered_directly
    async def feed_events(
        self, info: Info, after: str | None = None
    ) -> AsyncGenerator[FeedEvent, None]:
        viewer = info.context.require_viewer()
        async with info.context.sessionmaker() as session:
            preferences = await users_service.feed_preferences(session=session, user_id=viewer.id)
        following_only = preferences.show_following_only
        followed = await _followed(info, viewer.id)
        topics = {"table:posts", f"follower_id:{viewer.id}"}
        async for item in changes(info, topics=topics, tables={"posts", "follows"}, after=after):
            if isinstance(item, Resync):
                yield FeedEvent(
                    cursor=str(item.cursor), type=ChangeType.RESYNC, post_id=None, post=None
                )
                continue
            if item.table == "follows":
                if item.keys.get("follower_id") == str(viewer.id):
                    target = uuid.UUID(item.keys["following_id"])
                    if item.operation == "DELETE":
                        followed.discard(target)
                    else:
                        followed.add(target)
                continue
            author = uuid.UUID(item.keys["user_id"])
            mine_or_followed = author == viewer.id or author in followed
            if item.operation == "DELETE":
                if mine_or_followed:
                    yield FeedEvent(
                        cursor=str(item.cursor), type=ChangeType.DELETED,
                        post_id=strawberry.ID(str(item.row_id)), post=None,
                    )  # fmt: skip
                continue
            post = await info.context.realtime.rows.load(
                item, partial(_read_post, info.context, item.row_id), what="post"
            )
            if post is None:
                continue
            visible = mine_or_followed or (post.is_public and not following_only)
            if post.deleted_at is not None or not visible:
                if item.operation == "UPDATE" and (VISIBILITY_COLUMNS & set(item.changed)):
                    yield FeedEvent(
                        cursor=str(item.cursor), type=ChangeType.DELETED,
                        post_id=strawberry.ID(str(item.row_id)), post=None,
                    )  # fmt: skip
                continue
            yield FeedEvent(
                cursor=str(item.cursor),
                type=ChangeType(item.operation),
                post_id=strawberry.ID(str(item.row_id)),
                post=Post.from_model(post),
            )
