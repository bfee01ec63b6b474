"""One subscriber's stream of events: replay from a cursor, then live, with no gap and no
duplicate at the seam, and catch-up from the log after any gap in the live feed."""

from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg

from subscriptions import log as event_log
from subscriptions import metrics
from subscriptions.hub import Gap, Hub
from subscriptions.log import Cursor, LogEvent


@dataclass(frozen=True)
class Resync:
    """The requested cursor is older than the pruned log: refetch, then carry on from
    `cursor`."""

    cursor: Cursor


async def events(
    *,
    hub: Hub,
    pool: asyncpg.Pool,
    topics: frozenset[str],
    tables: frozenset[str],
    after: Cursor | None,
    max_replay: int,
) -> AsyncIterator[LogEvent | Resync]:
    """Events of the topics and tables after `after` (or from now), in log order, forever.
    A replay (resuming, or catching up after a gap) of more than max_replay events is a
    Resync instead: the subscriber refetches, then carries on from the log's head."""
    async with hub.subscribe(topics) as live:
        async with pool.acquire() as connection:
            if after is None:
                last = await event_log.head(connection)
            elif after < await event_log.pruned_through(connection):
                last = await event_log.head(connection)
                yield Resync(last)
            else:
                last = after
        async for item in _replay(pool, last, topics, tables, max_replay):
            yield item
            last = item.cursor
        while True:
            message = await live.get()
            if isinstance(message, Gap):
                metrics.CATCH_UPS.inc()
                async for item in _replay(pool, last, topics, tables, max_replay):
                    yield item
                    last = item.cursor
                continue
            event = LogEvent.from_json(message)
            if event.cursor <= last or event.table not in tables:
                continue
            yield event
            last = event.cursor


async def _replay(
    pool: asyncpg.Pool,
    after: Cursor,
    topics: frozenset[str],
    tables: frozenset[str],
    max_replay: int,
) -> AsyncIterator[LogEvent | Resync]:
    async with pool.acquire() as connection:
        batch = await event_log.read_after(
            connection, after, limit=max_replay + 1, topics=topics, tables=tables
        )
        if len(batch) > max_replay:
            metrics.REPLAY_RESYNCS.inc()
            yield Resync(await event_log.head(connection))
            return
    for event in batch:
        yield event
