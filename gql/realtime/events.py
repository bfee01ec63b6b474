"""What every subscription shares: change types, cursors, and the event stream."""

import enum
from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import partial
from typing import Any, Generic, TypeVar

import strawberry

from gql.context import Context, Info
from resolvers.errors import BadUserInput
from subscriptions import metrics, stream
from subscriptions.log import Cursor, LogEvent
from subscriptions.stream import Ready, Signal

Row = TypeVar("Row", bound=Any)


@strawberry.enum(
    description="What happened. RESYNC: the events since the cursor given are not replayed "
    "(it is older than the kept log, or more than the replay limit behind); refetch, then "
    "carry on. READY: the subscription is live, after any events a resume replayed: every "
    "change committed from now on arrives (sent once)."
)
class ChangeType(enum.Enum):
    CREATED = "INSERT"
    UPDATED = "UPDATE"
    DELETED = "DELETE"
    RESYNC = "RESYNC"
    READY = "READY"


def parse_cursor(after: str | None) -> Cursor | None:
    if after is None:
        return None
    try:
        return Cursor.parse(after)
    except ValueError:
        raise BadUserInput("after is not an event cursor", field="after") from None


async def changes(
    info: Info, *, topics: set[str], tables: set[str], after: str | None
) -> AsyncIterator[LogEvent | Signal]:
    """The stream of logged changes for a subscription field."""
    async for item in context_changes(
        info.context, info.field_name, topics=topics, tables=tables, after=after
    ):
        yield item


async def context_changes(
    context: Context, field: str, *, topics: set[str], tables: set[str], after: str | None
) -> AsyncIterator[LogEvent | Signal]:
    """The stream of logged changes of the topics, for a field, in a context."""
    realtime = context.realtime
    metrics.ACTIVE_SUBSCRIPTIONS.labels(field).inc()
    try:
        async for item in stream.events(
            hub=realtime.hub,
            window=realtime.window,
            pool=realtime.pool,
            topics=frozenset(topics),
            tables=frozenset(tables),
            after=parse_cursor(after),
            max_replay=realtime.settings.max_replay_events,
        ):
            if isinstance(item, Ready):
                context.admitted()
            metrics.DELIVERIES.labels(field).inc()
            yield item
    finally:
        metrics.ACTIVE_SUBSCRIPTIONS.labels(field).dec()


@dataclass(frozen=True)
class RowChange(Generic[Row]):
    """A change of one row the viewer owns; `row` is None for DELETED, RESYNC and READY."""

    cursor: str
    type: ChangeType
    row_id: strawberry.ID | None
    row: Row | None


async def owned_row_changes(
    info: Info, *, model: type[Row], topics: set[str], after: str | None
) -> AsyncIterator[RowChange[Row]]:
    """Changes of the model's table routed to the topics, limited to rows whose user_id is
    the viewer's. Each row is read once per event per instance, whatever the number of local
    subscribers; a row deleted since it changed is skipped (its DELETED event follows)."""
    viewer = info.context.require_viewer()
    table = model.__tablename__

    async def read(event: LogEvent) -> Row | None:
        async with info.context.sessionmaker() as session:
            return await session.get(model, event.row_id)

    async for item in changes(info, topics=topics, tables={table}, after=after):
        if isinstance(item, Signal):
            yield RowChange(str(item.cursor), ChangeType(item.type), None, None)
            continue
        row = None
        if item.operation != "DELETE":
            row = await info.context.realtime.rows.load(item, partial(read, item))
            if row is None or getattr(row, "user_id", None) != viewer.id:
                continue
        yield RowChange(
            str(item.cursor), ChangeType(item.operation), strawberry.ID(str(item.row_id)), row
        )
