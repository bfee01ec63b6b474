"""`tableChanges(table, events, filter, after)`: what supabase-js's
`channel().on('postgres_changes', {table, filter})` gives, authorized per row in memory,
ordered, resumable, and live only once it says READY."""

import enum
import uuid
from collections.abc import AsyncGenerator
from datetime import datetime
from functools import partial
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON

from gql.achievements.types import AchievementType, UserAchievement
from gql.context import Info
from gql.goals.types import CheckIn, Goal
from gql.motivations.types import DailyMotivation, Motivation
from gql.notifications.types import Notification
from gql.nutrition.types import MealLog, NutritionSummary
from gql.partners.types import Partnership
from gql.plans.types import ActionablePlan
from gql.realtime.events import changes
from gql.realtime.executor import delivered_directly
from gql.table_changes import filters
from gql.table_changes.catalogue import TABLES, Follow, RealtimeTable, StreamedTable
from gql.users.types import Viewer
from subscriptions.log import LogEvent
from subscriptions.stream import Signal

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
    | Follow,
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
        "password hashes never), as the writer's transaction found them."
    )
    record: TableRecord | None = strawberry.field(
        description="The row as it is now; null for DELETE, READY and RESYNC."
    )

    @strawberry.field(description="INSERT, UPDATE, DELETE, READY or RESYNC.")
    def operation(self) -> TableChangeKind:
        return self.type


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
        topics = streamed.policy.topics(table.value, viewer.id)
        async for item in changes(info, topics=topics, tables={table.value}, after=after):
            if isinstance(item, Signal):
                yield _signal(table, item)
                continue
            change = await _change(info, table, streamed, conditions, viewer.id, item)
            if change is not None and change.type.value in wanted:
                yield change


def _signal(table: RealtimeTable, signal: Signal) -> TableChange:
    return TableChange(
        cursor=str(signal.cursor),
        type=TableChangeKind(signal.type),
        table=table,
        commit_timestamp=None,
        changed_columns=[],
        row_id=None,
        old_record=None,
        record=None,
    )


async def _change(
    info: Info,
    table: RealtimeTable,
    streamed: StreamedTable,
    conditions: list[filters.Condition],
    viewer_id: uuid.UUID,
    event: LogEvent,
) -> TableChange | None:
    """The change as this viewer sees it, or None when it is not theirs to see."""
    kind = TableChangeKind(event.operation)
    row = None
    if kind is not TableChangeKind.DELETE:
        row = await info.context.realtime.rows.load(event, partial(_read, info, streamed, event))
        if row is None:
            return None  # deleted since: its DELETE follows
        shown = streamed.policy.allows(row, viewer_id) and filters.matches(
            conditions, partial(getattr, row)
        )
        if not shown:
            # Visible and matching before this update? Only if the update changed what
            # decides: then it leaves the viewer's set, as a DELETE.
            deciding = {c.column for c in conditions} | set(streamed.policy.deciding)
            if kind is TableChangeKind.UPDATE and deciding & set(event.changed):
                kind, row = TableChangeKind.DELETE, None
            else:
                return None
    elif not filters.matches(conditions, partial(_key_value, event)):
        return None
    return TableChange(
        cursor=str(event.cursor),
        type=kind,
        table=table,
        commit_timestamp=event.created_at,
        changed_columns=list(event.changed) if kind is TableChangeKind.UPDATE else [],
        row_id=strawberry.ID(str(event.row_id)),
        old_record=JSON(event.old) if kind is TableChangeKind.UPDATE and event.old else None,
        record=streamed.record(row) if row is not None else None,  # type: ignore[arg-type]
    )


def _key_value(event: LogEvent, column: str) -> Any:
    """A deleted row's value of a routing column (KeyError for the others: unknown)."""
    if column == "id":
        return event.row_id
    return uuid.UUID(event.keys[column])


async def _read(info: Info, streamed: StreamedTable, event: LogEvent) -> Any:
    async with info.context.sessionmaker() as session:
        return await session.get(streamed.model, event.row_id)
