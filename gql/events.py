"""What every subscription shares: change types, cursors, and the event stream."""

import enum
from collections.abc import AsyncIterator

import strawberry

from gql.context import Info
from resolvers.errors import BadUserInput
from subscriptions import metrics, stream
from subscriptions.log import Cursor, LogEvent
from subscriptions.stream import Resync


@strawberry.enum(
    description="What happened. RESYNC: events were lost (the cursor given is "
    "older than the kept log); refetch, then carry on."
)
class ChangeType(enum.Enum):
    CREATED = "INSERT"
    UPDATED = "UPDATE"
    DELETED = "DELETE"
    RESYNC = "RESYNC"


def parse_cursor(after: str | None) -> Cursor | None:
    if after is None:
        return None
    try:
        return Cursor.parse(after)
    except ValueError:
        raise BadUserInput("after is not an event cursor", field="after") from None


async def changes(
    info: Info, *, topics: set[str], tables: set[str], after: str | None
) -> AsyncIterator[LogEvent | Resync]:
    """The stream of logged changes for a subscription field."""
    realtime = info.context.realtime
    field = info.field_name
    metrics.ACTIVE_SUBSCRIPTIONS.labels(field).inc()
    try:
        async for item in stream.events(
            hub=realtime.hub,
            pool=realtime.pool,
            topics=frozenset(topics),
            tables=frozenset(tables),
            after=parse_cursor(after),
        ):
            metrics.DELIVERIES.labels(field).inc()
            yield item
    finally:
        metrics.ACTIVE_SUBSCRIPTIONS.labels(field).dec()
