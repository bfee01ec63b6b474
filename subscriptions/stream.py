"""One subscriber's stream of events: replay from a cursor, then live, with no gap and no
duplicate at the seam, and catch-up from the log after any gap in the live feed. Starting
"from now" needs no database read when the hub knows where now is (hub.py); a resume reads
only the events it missed, from the instance's window of the log when it holds them
(window.py)."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import partial
from typing import ClassVar

import asyncpg

from subscriptions import log as event_log
from subscriptions import metrics
from subscriptions.hub import Gap, Hub
from subscriptions.log import Cursor, LogEvent
from subscriptions.window import LogWindow


@dataclass(frozen=True)
class Signal:
    """Not an event: where a stream stands."""

    cursor: Cursor
    type: ClassVar[str]


@dataclass(frozen=True)
class Resync(Signal):
    """The events since the requested cursor are not replayed (it is older than the pruned
    log, or too far behind): refetch, then carry on from `cursor`."""

    type = "RESYNC"


@dataclass(frozen=True)
class Ready(Signal):
    """The stream is live: every event committed from now on follows (sent once, after
    whatever a resume replayed)."""

    type = "READY"


async def events(
    *,
    hub: Hub,
    window: LogWindow,
    pool: asyncpg.Pool,
    topics: frozenset[str],
    tables: frozenset[str],
    after: Cursor | None,
    max_replay: int,
) -> AsyncIterator[LogEvent | Signal]:
    """Events of the topics and tables after `after` (or from now), in log order, forever.
    A replay (resuming, or catching up after a gap) of more than max_replay events is a
    Resync instead: the subscriber refetches, then carries on from the log's head. Replays
    take their events from the instance's window of the log (window.py) when it reaches back
    far enough, else from the database."""
    async with hub.subscribe(topics) as live:
        start = live.start
        if after is None or (start is not None and after >= start):
            # From now, or a client already at now: what comes next arrives live.
            last = after or start or await _head(pool)
            replay = start is None
        else:
            last = after
            replay = True
        replays = partial(_replay, window, pool, topics, tables, max_replay)
        if replay:
            async for item in replays(last, start):
                yield item
                last = item.cursor
        yield Ready(last)
        while True:
            message = await live.get()
            if isinstance(message, Gap):
                metrics.CATCH_UPS.inc()
                async for item in replays(last, None):
                    yield item
                    last = item.cursor
                continue
            if message.cursor <= last or message.table not in tables:
                continue
            yield message
            last = message.cursor


async def _head(pool: asyncpg.Pool) -> Cursor:
    async with pool.acquire() as connection:
        return await event_log.head(connection)


async def _replay(
    window: LogWindow,
    pool: asyncpg.Pool,
    topics: frozenset[str],
    tables: frozenset[str],
    max_replay: int,
    after: Cursor,
    through: Cursor | None,
) -> AsyncIterator[LogEvent | Resync]:
    """The events after `after` up to at least `through` (None: the log's head now), or a
    Resync when they are more than max_replay or older than the pruned log."""
    batch = await window.replay(
        after, through=through, topics=topics, tables=tables, max_events=max_replay
    )
    resync_at = window.high
    if batch is None:
        async with pool.acquire() as connection:
            metrics.LOG_READS.inc()
            if after < await event_log.pruned_through(connection):
                yield Resync(await event_log.head(connection))
                return
            batch = await event_log.read_after(
                connection, after, limit=max_replay + 1, topics=topics, tables=tables
            )
            if len(batch) > max_replay:
                resync_at = await event_log.head(connection)
    if len(batch) > max_replay:
        metrics.REPLAY_RESYNCS.inc()
        yield Resync(resync_at)
        return
    for event in batch:
        yield event
