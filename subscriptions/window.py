"""The recent event log in memory, shared by every replay of this instance.

After a restart or a Redis reconnect, thousands of subscribers replay the same stretch of the
log at once. Each reading it with its own query (through a pool of a few connections) costs a
round trip, a row set to decode, and a wait for the pool, per subscriber. The window holds
the newest events of the whole log (all topics) in cursor order; a replay takes its events
from it, filtered in memory, and the window reads further only when a replay needs events
past what it holds: one query for everyone waiting at that moment.

It holds every settled event after `low` up to `high`, nothing missing: it starts with the
newest WINDOW_EVENTS events of the log (all of them if fewer, but never any before the
pruned cursor), then reads on from `high` in order, the way the relay does (log.py). A
replay from before `low` (an old cursor) reads the database as before (stream.py).
"""

import asyncio
import bisect
from collections.abc import Callable, Iterable

import asyncpg

from subscriptions import log as event_log
from subscriptions import metrics
from subscriptions.log import ORIGIN, Cursor, LogEvent

WINDOW_EVENTS = 10_000
PAGE_EVENTS = 2_000


class Stalled(Exception):
    """The log has nothing more to read although the wanted cursor is further on."""


class LogWindow:
    def __init__(self, pool: asyncpg.Pool, max_events: int = WINDOW_EVENTS) -> None:
        self._pool = pool
        self._max_events = max_events
        self._events: list[LogEvent] = []
        self._low: Cursor | None = None  # None: nothing read yet
        self._high = ORIGIN
        self._reading: asyncio.Task[int] | None = None
        self._reads_started = 0
        self._reads_done = 0
        self._full_page = True  # the last read may have left events behind

    async def replay(
        self,
        after: Cursor,
        *,
        through: Cursor | None,
        topics: Iterable[str],
        tables: frozenset[str],
        max_events: int,
    ) -> list[LogEvent] | None:
        """The events of the topics and tables after `after`, up to at least `through`
        (None: up to the log's head as of this call), in log order; at most max_events + 1
        of them (more than max_events: too many to replay). None when the window does not
        reach back to `after`."""
        try:
            await self._read_through(through)
        except Stalled:
            return None
        if self._low is None or after < self._low:
            return None
        match = _matcher(topics, tables)
        found = []
        start = bisect.bisect_right(self._events, after, key=lambda event: event.cursor)
        for event in self._events[start:]:
            if match(event):
                found.append(event)
                if len(found) > max_events:
                    break
        return found

    @property
    def high(self) -> Cursor:
        """The newest cursor read (every event up to it is held)."""
        return self._high

    async def _read_through(self, through: Cursor | None) -> None:
        """Until the window reaches `through`, or until a read that started after this call
        found the log's end (through None)."""
        needed = self._reads_started + 1
        while True:
            if through is not None and self._low is not None and self._high >= through:
                return
            if through is None and self._reads_done >= needed and not self._full_page:
                return
            if self._reading is None or self._reading.done():
                self._reading = asyncio.create_task(self._read(), name="log-window-read")
            reading = self._reading
            await asyncio.wait([reading])  # a waiter's cancellation must not cancel the read
            if reading.result() == 0 and through is not None and self._high < through:
                raise Stalled(f"the log ends at {self._high}, before {through}")

    async def _read(self) -> int:
        """Reads the next page (the newest WINDOW_EVENTS at first); returns the count read."""
        self._reads_started += 1
        try:
            async with self._pool.acquire() as connection:
                metrics.LOG_READS.inc()
                pruned = await event_log.pruned_through(connection)
                if self._low is None:
                    events = await event_log.newest(connection, limit=self._max_events)
                    self._events = events
                    self._high = events[-1].cursor if events else pruned
                    whole_log = len(events) < self._max_events
                    self._low = pruned if whole_log or not events else events[0].cursor
                    self._full_page = False
                else:
                    events = await event_log.read_after(connection, self._high, limit=PAGE_EVENTS)
                    self._events.extend(events)
                    if events:
                        self._high = events[-1].cursor
                    self._full_page = len(events) == PAGE_EVENTS
                    self._trim()
                self._low = max(self._low, pruned)
                return len(events)
        finally:
            self._reads_done += 1

    def _trim(self) -> None:
        excess = len(self._events) - self._max_events
        if excess > 0:
            del self._events[:excess]
            self._low = self._events[0].cursor


def _matcher(topics: Iterable[str], tables: frozenset[str]) -> Callable[[LogEvent], bool]:
    """Whether an event is routed to any of the topics (as log.read_after's SQL decides) and
    of one of the tables."""
    whole_tables = set()
    keys = []
    for topic in topics:
        kind, _, value = topic.partition(":")
        if kind == "table":
            whole_tables.add(value)
        else:
            keys.append((kind, value))

    def match(event: LogEvent) -> bool:
        if event.table not in tables:
            return False
        return event.table in whole_tables or any(
            event.keys.get(kind) == value for kind, value in keys
        )

    return match
