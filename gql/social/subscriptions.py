"""Realtime fields of the feed."""

import enum
import uuid
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from functools import partial

import strawberry

from gql.context import Context, Info
from gql.ids import parse_id
from gql.realtime.events import ChangeType, changes, context_changes
from gql.realtime.executor import delivered_directly, run_in_group
from gql.social.types import Comment, Post
from models import social as social_models
from resolvers import social as social_service
from resolvers import users as users_service
from resolvers.errors import NotFound
from subscriptions.log import Cursor, LogEvent
from subscriptions.stream import Ready, Resync, Signal

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


@dataclass(frozen=True)
class _ReadPost:
    """A post as an event read it, with its GraphQL view (made once for all subscribers)."""

    state: social_service.PostState
    view: Post


async def _read_post(context: Context, post_id: uuid.UUID) -> _ReadPost | None:
    async with context.sessionmaker() as session:
        state = await social_service.post_state(session=session, post_id=post_id)
    return _ReadPost(state, Post.from_model(state.post)) if state is not None else None


async def _read_comment(context: Context, event: LogEvent) -> social_models.Comment | None:
    async with context.sessionmaker() as session:
        return await session.get(social_models.Comment, event.row_id)


async def _read_follow(context: Context, event: LogEvent) -> social_models.Follow | None:
    async with context.sessionmaker() as session:
        return await session.get(social_models.Follow, event.row_id)


def _visibility_event(event: PostActivityEvent) -> bool:
    """A POST event that may read differently per viewer (a visibility change ends it)."""
    return event.kind is ActivityKind.POST and event.type is ChangeType.DELETED


def _access_may_change(event: LogEvent, author_id: uuid.UUID) -> bool:
    """Whether a users or follows event can change who may see the author's posts: the
    author's account state, or the viewer's follow of the author ending or its approval."""
    if event.table == "users":
        return "is_active" in event.changed
    return event.keys.get("following_id") == str(author_id) and (
        event.operation == "DELETE" or "approved_at" in event.changed
    )


async def _may_see(context: Context, viewer_id: uuid.UUID | None, post_id: uuid.UUID) -> bool:
    try:
        async with context.sessionmaker() as session:
            await social_service.get_post(session=session, viewer_id=viewer_id, post_id=post_id)
    except NotFound:
        return False
    return True


def _signal(signal: Signal) -> PostActivityEvent:
    return PostActivityEvent(
        cursor=str(signal.cursor), type=ChangeType(signal.type), kind=None, comment_id=None,
        comment=None, likes_count=None, comments_count=None,
    )  # fmt: skip


def _post_gone(cursor: object) -> PostActivityEvent:
    return PostActivityEvent(
        cursor=str(cursor), type=ChangeType.DELETED, kind=ActivityKind.POST, comment_id=None,
        comment=None, likes_count=None, comments_count=None,
    )  # fmt: skip


async def _activity(
    context: Context,
    field: str,
    viewer_id: uuid.UUID | None,
    post: social_models.Post,
    after: str | None,
) -> AsyncIterator[PostActivityEvent]:
    """A post's activity as `viewer_id` (None: anonymous) sees it, after the cursor. Whatever
    can change whether the viewer may see the post (the post itself, its author's account,
    the viewer's follow of the author, a RESYNC) is re-checked when it happens; the stream
    ends with POST DELETED once the answer is no."""
    topics = {f"post_id:{post.id}", f"id:{post.id}", f"id:{post.user_id}"}
    tables = {"comments", "likes", "posts", "users"}
    if viewer_id is not None:
        topics.add(f"follower_id:{viewer_id}")
        tables.add("follows")
    async for item in context_changes(context, field, topics=topics, tables=tables, after=after):
        if isinstance(item, Signal):
            yield _signal(item)
            if isinstance(item, Resync) and not await _may_see(context, viewer_id, post.id):
                yield _post_gone(item.cursor)
                return
            continue
        if item.table in ("users", "follows"):
            if _access_may_change(item, post.user_id) and not await _may_see(
                context, viewer_id, post.id
            ):
                yield _post_gone(item.cursor)
                return
            continue
        kind = ActivityKind(item.table)
        visibility = kind is ActivityKind.POST and (
            item.operation == "DELETE" or bool(VISIBILITY_COLUMNS & set(item.changed))
        )
        if visibility and not await _may_see(context, viewer_id, post.id):
            yield _post_gone(item.cursor)
            return
        rows = context.realtime.rows
        read = await rows.load(item, partial(_read_post, context, post.id), what="post")
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
            likes_count=read.state.post.likes_count if read is not None else None,
            comments_count=read.state.post.comments_count if read is not None else None,
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
                events=lambda context, start: _activity(context, field, None, post, start),
                dissolves=_visibility_event,
                ready=lambda cursor: _signal(Ready(Cursor.parse(cursor))),
            )
        async for event in _activity(info.context, field, viewer_id, post, after):
            yield event


@strawberry.type
class FeedEvent:
    cursor: str = strawberry.field(description="Pass as `after` to resume after this event.")
    type: ChangeType
    post_id: strawberry.ID | None
    post: Post | None = strawberry.field(description="Null for DELETED and RESYNC.")


@strawberry.type
class FeedSubscriptions:
    @strawberry.subscription(
        description="Posts created, updated or deleted that belong in the viewer's feed (the "
        "rule of the feed query). Following, unfollowing or being approved by someone "
        "changes what arrives at once; a post that stops being visible arrives as DELETED "
        "(only to viewers who could see it)."
    )
    @delivered_directly
    async def feed_events(
        self, info: Info, after: str | None = None
    ) -> AsyncGenerator[FeedEvent, None]:
        async for change in visible_post_changes(info, after=after, feed=True):
            view = change.post.view if change.post is not None else None
            yield FeedEvent(
                cursor=str(change.cursor),
                type=change.type,
                post_id=change.post_id,
                post=view,
            )


@dataclass(frozen=True)
class PostChange:
    """A post event (or a stream signal) as one viewer sees it."""

    cursor: Cursor
    type: ChangeType
    post_id: strawberry.ID | None
    post: "_ReadPost | None"  # the post now; None for DELETED and signals
    event: LogEvent | None = None  # None for signals


class LiveAudience:
    """A viewer's side of the posts policy for a stream: read once at its start, then kept
    current from the viewer's follow events (and read again after a RESYNC)."""

    def __init__(self, context: Context, viewer_id: uuid.UUID) -> None:
        self._context = context
        self._viewer_id = viewer_id
        self.audience = social_service.Audience(viewer_id)
        self.topic = f"follower_id:{viewer_id}"  # the viewer's own follow events

    async def start(self) -> users_service.FeedSettings:
        """Reads the viewer's follows and feed preferences (batched with others starting)."""
        state = await self._context.realtime.loaders.feed_state_by_user_id.load(self._viewer_id)
        self.audience = state.audience
        return state.preferences

    async def absorb(self, item: LogEvent | Signal) -> bool:
        """Takes what changes the audience; True when the item was the viewer's follow."""
        if isinstance(item, Resync):  # follows may have changed while not followed
            async with self._context.sessionmaker() as session:
                self.audience = await social_service.audience_of(
                    session=session, viewer_id=self._viewer_id
                )
            return False
        if isinstance(item, Signal) or item.table != "follows":
            return False
        if item.keys.get("follower_id") == str(self._viewer_id):
            follow = None
            if item.operation != "DELETE":
                follow = await self._context.realtime.rows.load(
                    item, partial(_read_follow, self._context, item)
                )
            self.audience.follow_changed(uuid.UUID(item.keys["following_id"]), follow)
        return True

    def sees(self, state: social_service.PostState) -> bool:
        post = state.post
        return self.audience.sees(
            author_id=post.user_id,
            is_public=post.is_public,
            deleted=post.deleted_at is not None,
            author_active=state.author_active,
        )


async def visible_post_changes(
    info: Info, *, after: str | None, feed: bool
) -> AsyncIterator[PostChange]:
    """Changes of the posts the viewer may see (the posts policy, with the viewer's follows
    and approvals kept current from their follow events), or with `feed` only those that
    belong in their feed (the feed rule, with their feed preferences)."""
    viewer = info.context.require_viewer()
    live = LiveAudience(info.context, viewer.id)
    preferences = await live.start()
    following_only = feed and preferences.show_following_only
    topics = {"table:posts", live.topic}
    async for item in changes(info, topics=topics, tables={"posts", "follows"}, after=after):
        if await live.absorb(item):
            continue
        if isinstance(item, Signal):
            yield PostChange(item.cursor, ChangeType(item.type), None, None)
            continue
        change = await _post_change(info.context, live.audience, following_only, item)
        if change is not None:
            yield change


async def _post_change(
    context: Context, audience: social_service.Audience, following_only: bool, item: LogEvent
) -> PostChange | None:
    """What a post event means for one viewer: the post (CREATED, UPDATED), its
    disappearance (DELETED, only if the viewer could see it before), or nothing."""
    author = uuid.UUID(item.keys["user_id"])
    post_id = strawberry.ID(str(item.row_id))
    gone = PostChange(item.cursor, ChangeType.DELETED, post_id, None, item)
    if item.operation == "DELETE":  # deleted outside the API: only those who saw every post
        if author == audience.viewer_id or author in audience.approved_by:
            return gone
        return None
    read: _ReadPost | None = await context.realtime.rows.load(
        item, partial(_read_post, context, item.row_id), what="post"
    )
    if read is None:
        return None
    state, post = read.state, read.state.post
    in_feed = audience.in_feed(author, following_only=following_only)
    sees = audience.sees(
        author_id=author,
        is_public=post.is_public,
        deleted=post.deleted_at is not None,
        author_active=state.author_active,
    )
    if in_feed and sees:
        return PostChange(item.cursor, ChangeType(item.operation), post_id, read, item)
    saw = item.operation == "UPDATE" and audience.sees(
        author_id=author,
        is_public=post.is_public != ("is_public" in item.changed),
        deleted=(post.deleted_at is not None) != ("deleted_at" in item.changed),
        author_active=state.author_active,
    )
    if in_feed and saw:
        return gone
    return None
