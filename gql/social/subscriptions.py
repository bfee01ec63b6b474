"""Realtime fields of the feed."""

import enum
import uuid
from collections.abc import AsyncGenerator
from functools import partial

import strawberry

from gql.context import Info
from gql.events import ChangeType, changes
from gql.ids import parse_id
from gql.social.types import Comment
from models import social as social_models
from resolvers import social as social_service
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


async def _read_post(info: Info, post_id: uuid.UUID) -> social_models.Post | None:
    async with info.context.sessionmaker() as session:
        return await session.get(social_models.Post, post_id)


async def _read_comment(info: Info, event: LogEvent) -> social_models.Comment | None:
    async with info.context.sessionmaker() as session:
        return await session.get(social_models.Comment, event.row_id)


@strawberry.type
class SocialSubscriptions:
    @strawberry.subscription(
        description="Live activity on a post the viewer may see: comments added, edited or "
        "deleted, reactions, and the new likesCount/commentsCount. Ends with a POST DELETED "
        "event if the post is deleted or stops being visible to the viewer."
    )
    async def post_activity(
        self, info: Info, post_id: strawberry.ID, after: str | None = None
    ) -> AsyncGenerator[PostActivityEvent, None]:
        viewer_id = info.context.signed_in_id
        post_uuid = parse_id(post_id, field="postId")
        async with info.context.sessionmaker() as session:
            await social_service.get_post(session=session, viewer_id=viewer_id, post_id=post_uuid)
        topics = {f"post_id:{post_uuid}", f"id:{post_uuid}"}
        tables = {"comments", "likes", "posts"}
        async for item in changes(info, topics=topics, tables=tables, after=after):
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
                    async with info.context.sessionmaker() as session:
                        await social_service.get_post(
                            session=session, viewer_id=viewer_id, post_id=post_uuid
                        )
                except NotFound:
                    yield PostActivityEvent(
                        cursor=str(item.cursor), type=ChangeType.DELETED, kind=kind,
                        comment_id=None, comment=None, likes_count=None, comments_count=None,
                    )  # fmt: skip
                    return
            rows = info.context.realtime.rows
            post = await rows.load(item, partial(_read_post, info, post_uuid), what="post")
            comment = None
            change = ChangeType(item.operation)
            if kind is ActivityKind.COMMENT and item.operation != "DELETE":
                comment = await rows.load(item, partial(_read_comment, info, item))
                if comment is None or comment.deleted_at is not None:
                    change, comment = ChangeType.DELETED, None
            yield PostActivityEvent(
                cursor=str(item.cursor),
                type=change,
                kind=kind,
                comment_id=strawberry.ID(str(item.row_id))
                if kind is ActivityKind.COMMENT
                else None,
                comment=Comment.from_model(comment) if comment is not None else None,
                likes_count=post.likes_count if post is not None else None,
                comments_count=post.comments_count if post is not None else None,
            )
