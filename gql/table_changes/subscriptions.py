"""`tableChanges(table, events, filter, after)`: what supabase-js's
`channel().on('postgres_changes', {table, filter})` gives, authorized per row in memory,
ordered, resumable, and live only once it says READY."""

import enum
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON

from gql.achievements.types import AchievementType, UserAchievement
from gql.challenges.types import Challenge, ChallengeMember
from gql.context import Info
from gql.goals.types import CheckIn, Goal
from gql.motivations.types import DailyMotivation, Motivation
from gql.notifications.types import Notification
from gql.nutrition.types import MealLog, NutritionSummary
from gql.partners.types import Partnership
from gql.plans.types import ActionablePlan
from gql.realtime.events import ChangeType, changes
from gql.realtime.executor import delivered_directly
from gql.realtime.sharing import PER_VIEWER
from gql.social.subscriptions import LiveAudience, visible_post_changes
from gql.social.types import Comment, Post
from gql.table_changes import filters
from gql.table_changes.catalogue import (
    TABLES,
    Follow,
    PostReaction,
    RealtimeTable,
    Rule,
    StreamedTable,
)
from gql.users.types import Viewer
from models.challenges import Challenge as ChallengeModel
from models.challenges import ChallengeParticipant
from resolvers import challenges as challenges_service
from resolvers import social as social_service
from resolvers.row_policies import RowPolicy
from resolvers.social import PostState
from subscriptions.log import LogEvent
from subscriptions.stream import Resync, Signal

TableRecord = Annotated[
    Viewer
    | Goal
    | CheckIn
    | ActionablePlan
    | DailyMotivation
    | Motivation
    | Notification
    | MealLog
    | NutritionSummary
    | AchievementType
    | UserAchievement
    | Partnership
    | Follow
    | Post
    | Comment
    | PostReaction
    | Challenge
    | ChallengeMember,
    strawberry.union("TableRecord"),
]


@strawberry.enum(description="A kind of row change.")
class RowOperation(enum.Enum):
    INSERT = "INSERT"
    UPDATE = "UPDATE"
    DELETE = "DELETE"


@strawberry.enum(
    description="What a TableChange is: a row change, or READY (live from here: every "
    "change committed after it arrives, once) or RESYNC (the changes since `after` are not "
    "replayed: refetch, then carry on)."
)
class TableChangeKind(enum.Enum):
    INSERT = "INSERT"
    UPDATE = "UPDATE"
    DELETE = "DELETE"
    READY = "READY"
    RESYNC = "RESYNC"


@strawberry.type
class TableChange:
    cursor: str = strawberry.field(description="Pass as `after` to resume after this change.")
    type: strawberry.Private[TableChangeKind]
    table: RealtimeTable
    commit_timestamp: datetime | None = strawberry.field(
        description="When the writing transaction began (null for READY and RESYNC)."
    )
    changed_columns: list[str] = strawberry.field(
        description="UPDATE: the columns whose values changed (database names)."
    )
    row_id: strawberry.ID | None = strawberry.field(description="The row's id.")
    old_record: JSON | None = strawberry.field(
        description="UPDATE: the previous values of the changed columns (database names; "
        "password hashes never), as the writer's transaction found them; null when the "
        "update is what made the row visible to the viewer.",
        metadata=PER_VIEWER,  # whether the viewer saw the row before is theirs alone
    )
    record: TableRecord | None = strawberry.field(
        description="The row as it is now; null for DELETE, READY and RESYNC."
    )

    @strawberry.field(description="INSERT, UPDATE, DELETE, READY or RESYNC.")
    def operation(self) -> TableChangeKind:
        return self.type


@dataclass(frozen=True)
class Sight:
    """Whether the viewer sees a loaded row, which of its columns decide that, and whether
    they saw its previous values (None: decide from those columns)."""

    shown: Callable[[Any], bool]
    deciding: frozenset[str]
    insider: Callable[[Any], bool] = lambda row: False


@strawberry.type
class TableSubscriptions:
    @strawberry.subscription(
        description="Row changes of one table that the viewer may see, by any writer, in "
        "commit order: first READY, then each change (INSERT, UPDATE, DELETE) of `events` "
        "(default all) whose row matches every `filter`. A row that stops being visible or "
        "stops matching arrives as DELETE. A deleted row is matched on its routing columns "
        "only (ids of its owner or parent). Resume with `after`."
    )
    @delivered_directly
    async def table_changes(
        self,
        info: Info,
        table: RealtimeTable,
        events: list[RowOperation] | None = None,
        filter: list[filters.RowFilter] | None = None,
        after: str | None = None,
    ) -> AsyncGenerator[TableChange, None]:
        viewer = info.context.require_viewer()
        streamed = TABLES[table]
        conditions = filters.parse(filter, streamed.columns)
        wanted = {event.value for event in events} if events else {"INSERT", "UPDATE", "DELETE"}
        if streamed.rule is Rule.POSTS:
            source = _post_changes(info, table, conditions, after)
        elif streamed.rule is Rule.ON_POST:
            source = _on_post_changes(info, table, streamed, conditions, after)
        elif streamed.rule is Rule.CHALLENGES:
            source = _challenge_changes(info, table, streamed, conditions, after)
        elif streamed.rule is Rule.ON_CHALLENGE:
            source = _member_changes(info, table, streamed, conditions, after)
        else:
            source = _row_changes(info, table, streamed, conditions, viewer.id, after)
        async for change in source:
            if change.type.value in wanted or change.type in SIGNALS:
                yield change


SIGNALS = (TableChangeKind.READY, TableChangeKind.RESYNC)
KINDS = {
    ChangeType.CREATED: TableChangeKind.INSERT,
    ChangeType.UPDATED: TableChangeKind.UPDATE,
    ChangeType.DELETED: TableChangeKind.DELETE,
    ChangeType.READY: TableChangeKind.READY,
    ChangeType.RESYNC: TableChangeKind.RESYNC,
}


async def _row_changes(
    info: Info,
    table: RealtimeTable,
    streamed: StreamedTable,
    conditions: list[filters.Condition],
    viewer_id: uuid.UUID,
    after: str | None,
) -> AsyncIterator[TableChange]:
    """A table whose row policy decides from the row alone."""
    assert streamed.policy is not None
    topics = streamed.policy.topics(table.value, viewer_id)
    async for item in changes(info, topics=topics, tables={table.value}, after=after):
        if isinstance(item, Signal):
            yield _signal(table, item.cursor, TableChangeKind(item.type))
            continue
        change = await _change(info, table, streamed, conditions, viewer_id, item)
        if change is not None:
            yield change


async def _post_changes(
    info: Info, table: RealtimeTable, conditions: list[filters.Condition], after: str | None
) -> AsyncIterator[TableChange]:
    """Posts: every change of a post the viewer may see (the posts policy, as feedEvents
    applies it, without the feed rule), then filtered."""
    viewer_id = info.context.require_viewer().id
    async for change in visible_post_changes(info, after=after, feed=False):
        kind, event = KINDS[change.type], change.event
        if event is None:
            yield _signal(table, change.cursor, kind)
            continue
        if change.post is None:  # gone from the viewer's sight
            if filters.matches(conditions, partial(_key_value, event)):
                yield _row_change(table, TableChangeKind.DELETE, event, None)
            continue
        if filters.matches(conditions, partial(getattr, change.post.state.post)):
            post = change.post.state.post
            old_seen = post.user_id == viewer_id or not (POST_VISIBILITY & set(event.changed))
            yield _row_change(table, kind, event, change.post.view, old_seen=old_seen)
        elif _left_filter(kind, conditions, event):
            yield _row_change(table, TableChangeKind.DELETE, event, None)


async def _on_post_changes(
    info: Info,
    table: RealtimeTable,
    streamed: StreamedTable,
    conditions: list[filters.Condition],
    after: str | None,
) -> AsyncIterator[TableChange]:
    """Comments and reactions: visible with their post (the posts policy; a comment also
    while it is not deleted). A `post_id` EQ or IN filter narrows what the instance listens
    to, to those posts; without one, every change of the table is weighed."""
    context = info.context
    viewer = context.require_viewer()
    live = LiveAudience(context, viewer.id)
    await live.start()
    posts = _parent_ids(conditions, "post_id")
    topics = {f"post_id:{post}" for post in posts} or {f"table:{table.value}"}
    async for item in changes(
        info, topics=topics | {live.topic}, tables={table.value, "follows"}, after=after
    ):
        if await live.absorb(item):
            continue
        if isinstance(item, Signal):
            yield _signal(table, item.cursor, TableChangeKind(item.type))
            continue
        post = await context.realtime.rows.load(
            item,
            partial(_read_post_state, info, uuid.UUID(item.keys["post_id"])),
            what="post-state",
        )
        if post is None or not live.sees(post):
            continue
        change = await _seen_change(info, table, streamed, conditions, item, COMMENT_SIGHT)
        if change is not None:
            yield change


COMMENT_SIGHT = Sight(
    shown=lambda row: getattr(row, "deleted_at", None) is None,  # reactions have none
    deciding=frozenset({"deleted_at"}),
)


async def _seen_change(
    info: Info,
    table: RealtimeTable,
    streamed: StreamedTable,
    conditions: list[filters.Condition],
    event: LogEvent,
    sight: Sight,
) -> TableChange | None:
    """A change of a row as the viewer sees it (the caller has checked what the row belongs
    to): the row when it is shown and matches; a DELETE when it leaves the viewer's set (it
    was deleted, or an update changed what decides); else nothing."""
    kind = TableChangeKind(event.operation)
    if kind is TableChangeKind.DELETE:
        if filters.matches(conditions, partial(_key_value, event)):
            return _row_change(table, kind, event, None)
        return None
    row = await info.context.realtime.rows.load(event, partial(_read, info, streamed, event))
    if row is None:
        return None  # deleted since: its DELETE follows
    changed = set(event.changed)
    if sight.shown(row) and filters.matches(conditions, partial(getattr, row)):
        old_seen = sight.insider(row) or not (sight.deciding & changed)
        return _row_change(table, kind, event, streamed.record(row), old_seen=old_seen)
    if _left_filter(kind, conditions, event) or (
        kind is TableChangeKind.UPDATE and sight.deciding & changed
    ):
        return _row_change(table, TableChangeKind.DELETE, event, None)
    return None


def _parent_ids(conditions: list[filters.Condition], column: str) -> set[uuid.UUID]:
    """The parents an EQ or IN filter on `column` keeps (empty: no such filter)."""
    for condition in conditions:
        if condition.column == column and condition.op is filters.FilterOp.EQ:
            return {condition.operand}
        if condition.column == column and condition.op is filters.FilterOp.IN:
            return set(condition.operand)
    return set()


class LiveMemberships:
    """The challenges a viewer is invited to or takes part in, read at a stream's start and
    kept current from the viewer's membership events (read again after a RESYNC)."""

    def __init__(self, info: Info, viewer_id: uuid.UUID) -> None:
        self._info = info
        self.viewer_id = viewer_id
        self.member_of: set[uuid.UUID] = set()
        self.topic = f"user_id:{viewer_id}"  # the viewer's own memberships (among others)

    async def read(self) -> None:
        async with self._info.context.sessionmaker() as session:
            self.member_of = await challenges_service.memberships_of(
                session=session, user_id=self.viewer_id
            )

    async def absorb(self, item: LogEvent) -> uuid.UUID | None:
        """Applies the viewer's own membership change; returns its challenge (else None)."""
        if item.table != "challenge_participants" or item.keys.get("user_id") != str(
            self.viewer_id
        ):
            return None
        challenge_id = uuid.UUID(item.keys["challenge_id"])
        member = None
        if item.operation != "DELETE":
            member = await self._info.context.realtime.rows.load(
                item, partial(_read_model, self._info, ChallengeParticipant, item.row_id)
            )
        if member is not None and member.status in challenges_service.MEMBER_STATUSES:
            self.member_of.add(challenge_id)
        else:
            self.member_of.discard(challenge_id)
        return challenge_id

    def sees(self, challenge: ChallengeModel) -> bool:
        return challenges_service.challenge_visible(challenge, self.viewer_id, self.member_of)


async def _challenge_changes(
    info: Info,
    table: RealtimeTable,
    streamed: StreamedTable,
    conditions: list[filters.Condition],
    after: str | None,
) -> AsyncIterator[TableChange]:
    """Challenges the viewer may see (the challenges policy). Being invited to or joining a
    private challenge makes it appear (INSERT); leaving it, a DELETE. A challenge deleted
    with SQL DELETE reaches its owner and members only (its visibility is gone with it)."""
    viewer = info.context.require_viewer()
    live = LiveMemberships(info, viewer.id)
    await live.read()
    topics = {"table:challenges", live.topic}
    tables = {"challenges", "challenge_participants"}
    async for item in changes(info, topics=topics, tables=tables, after=after):
        if isinstance(item, Signal):
            if isinstance(item, Resync):
                await live.read()
            yield _signal(table, item.cursor, TableChangeKind(item.type))
            continue
        if item.table == "challenge_participants":
            before = set(live.member_of)
            challenge_id = await live.absorb(item)
            if challenge_id is not None:
                turn = await _membership_turn(info, table, live, before, challenge_id, item)
                if turn is not None:
                    appearing, challenge = turn
                    if filters.matches(conditions, partial(getattr, challenge)):
                        yield appearing
            continue
        if item.operation == "DELETE":  # its visibility went with it: insiders only
            insider = item.keys.get("owner_id") == str(viewer.id) or item.row_id in live.member_of
            if not insider:
                continue
        sight = Sight(live.sees, VISIBILITY, lambda row: row.owner_id == viewer.id)
        change = await _seen_change(info, table, streamed, conditions, item, sight)
        if change is not None:
            yield change


VISIBILITY = frozenset({"visibility", "deleted_at", "owner_id"})  # what the policy reads
POST_VISIBILITY = {"is_public", "deleted_at", "user_id"}  # post columns the policy reads


async def _membership_turn(
    info: Info,
    table: RealtimeTable,
    live: LiveMemberships,
    before: set[uuid.UUID],
    challenge_id: uuid.UUID,
    item: LogEvent,
) -> tuple[TableChange, ChallengeModel] | None:
    """A challenge appearing to or leaving the viewer's sight through their membership,
    with the challenge."""
    challenge = await info.context.realtime.rows.load(
        item, partial(_read_model, info, ChallengeModel, challenge_id), what="challenge"
    )
    if challenge is None:
        return None
    saw = challenges_service.challenge_visible(challenge, live.viewer_id, before)
    sees = live.sees(challenge)
    if saw == sees:
        return None
    event = LogEvent(item.cursor, "challenges", "INSERT" if sees else "DELETE", challenge_id,
                     {"id": str(challenge_id), "owner_id": str(challenge.owner_id)},
                     created_at=item.created_at)  # fmt: skip
    record = TABLES[table].record(challenge) if sees else None
    return _row_change(table, TableChangeKind(event.operation), event, record), challenge


async def _member_changes(
    info: Info,
    table: RealtimeTable,
    streamed: StreamedTable,
    conditions: list[filters.Condition],
    after: str | None,
) -> AsyncIterator[TableChange]:
    """Memberships, visible with their challenge: active ones to whoever sees the
    challenge, the others to its owner and the member. A `challenge_id` EQ or IN filter
    narrows what the instance listens to."""
    viewer = info.context.require_viewer()
    live = LiveMemberships(info, viewer.id)
    await live.read()
    parents = _parent_ids(conditions, "challenge_id")
    topics = {f"challenge_id:{c}" for c in parents} or {f"table:{table.value}"}
    async for item in changes(
        info, topics=topics | {live.topic}, tables={table.value}, after=after
    ):
        if isinstance(item, Signal):
            if isinstance(item, Resync):
                await live.read()
            yield _signal(table, item.cursor, TableChangeKind(item.type))
            continue
        await live.absorb(item)
        challenge_id = uuid.UUID(item.keys["challenge_id"])
        challenge = await info.context.realtime.rows.load(
            item, partial(_read_model, info, ChallengeModel, challenge_id), what="challenge"
        )
        if challenge is None or not live.sees(challenge):
            continue
        sight = Sight(
            shown=partial(_member_shown, challenge, viewer.id),
            deciding=frozenset({"status"}),
            insider=partial(_member_insider, challenge, viewer.id),
        )
        change = await _seen_change(info, table, streamed, conditions, item, sight)
        if change is not None:
            yield change


def _member_shown(challenge: ChallengeModel, viewer_id: uuid.UUID, row: Any) -> bool:
    return challenges_service.member_visible(row, challenge, viewer_id)


def _member_insider(challenge: ChallengeModel, viewer_id: uuid.UUID, row: Any) -> bool:
    """The owner and the member saw every state of a membership."""
    return viewer_id in (challenge.owner_id, row.user_id)


async def _read_model(info: Info, model: type[Any], row_id: uuid.UUID) -> Any:
    async with info.context.sessionmaker() as session:
        return await session.get(model, row_id)


async def _read_post_state(info: Info, post_id: uuid.UUID) -> PostState | None:
    async with info.context.sessionmaker() as session:
        return await social_service.post_state(session=session, post_id=post_id)


def _signal(table: RealtimeTable, cursor: Any, kind: TableChangeKind) -> TableChange:
    return TableChange(
        cursor=str(cursor),
        type=kind,
        table=table,
        commit_timestamp=None,
        changed_columns=[],
        row_id=None,
        old_record=None,
        record=None,
    )


def _row_change(
    table: RealtimeTable,
    kind: TableChangeKind,
    event: LogEvent,
    record: object | None,
    *,
    old_seen: bool = True,
) -> TableChange:
    """`old_seen` False: the viewer may not have seen the row before this change (it
    became visible by it), so its previous values stay out."""
    update = kind is TableChangeKind.UPDATE and old_seen
    return TableChange(
        cursor=str(event.cursor),
        type=kind,
        table=table,
        commit_timestamp=event.created_at,
        changed_columns=list(event.changed) if kind is TableChangeKind.UPDATE else [],
        row_id=strawberry.ID(str(event.row_id)),
        old_record=JSON(event.old) if update and event.old else None,
        record=record,  # type: ignore[arg-type]
    )


def _left_filter(
    kind: TableChangeKind, conditions: list[filters.Condition], event: LogEvent
) -> bool:
    """Whether an update after which the row no longer matches changed a filtered column:
    the row was in the viewer's set before, so it leaves it (as a DELETE)."""
    changed = set(event.changed)
    return kind is TableChangeKind.UPDATE and any(c.column in changed for c in conditions)


async def _change(
    info: Info,
    table: RealtimeTable,
    streamed: StreamedTable,
    conditions: list[filters.Condition],
    viewer_id: uuid.UUID,
    event: LogEvent,
) -> TableChange | None:
    """The change as this viewer sees it, or None when it is not theirs to see."""
    policy = streamed.policy
    assert policy is not None
    sight = Sight(partial(_allows, policy, viewer_id), frozenset(policy.deciding))
    return await _seen_change(info, table, streamed, conditions, event, sight)


def _allows(policy: RowPolicy, viewer_id: uuid.UUID, row: Any) -> bool:
    return policy.allows(row, viewer_id)


def _key_value(event: LogEvent, column: str) -> Any:
    """A deleted row's value of a routing column (KeyError for the others: unknown)."""
    if column == "id":
        return event.row_id
    return uuid.UUID(event.keys[column])


async def _read(info: Info, streamed: StreamedTable, event: LogEvent) -> Any:
    async with info.context.sessionmaker() as session:
        return await session.get(streamed.model, event.row_id)
