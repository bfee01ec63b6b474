"""One database read per event per instance, however many local subscribers need the row.

Subscribers of the same event ask for the same row at about the same time; the first asks
the database and the others await that same read. Entries are dropped after a few seconds,
so rows are never served stale beyond the event they belong to.
"""

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from subscriptions.log import LogEvent

TTL_SECONDS = 5.0
MAX_ENTRIES = 10_000


class EventRows:
    def __init__(self) -> None:
        self._entries: OrderedDict[str, tuple[float, asyncio.Future[Any]]] = OrderedDict()

    async def load(
        self, event: LogEvent, read: Callable[[], Awaitable[Any]], *, what: str = "row"
    ) -> Any:
        """What `read` returns for this event (its row unless `what` names something else),
        read once for everyone who asks."""
        key = f"{what}:{event.table}:{event.cursor}"
        while True:
            now = time.monotonic()
            self._expire(now)
            entry = self._entries.get(key)
            if entry is None or entry[1].cancelled():
                future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
                self._entries[key] = (now, future)
                return await produce(future, read, lambda: self._entries.pop(key, None))
            try:
                return await outcome(entry[1])
            except Stale:
                continue

    def _expire(self, now: float) -> None:
        while self._entries:
            key, (created, _) = next(iter(self._entries.items()))
            if now - created < TTL_SECONDS and len(self._entries) < MAX_ENTRIES:
                break
            del self._entries[key]


async def outcome(future: "asyncio.Future[Any]") -> Any:
    """A shared future's result. Waiters await it directly (asyncio.shield would cost a future
    and two callbacks per waiter, and thousands wait for one event's row): if one of them is
    cancelled the future is cancelled too, and the others then raise Stale and redo the
    work."""
    if future.done() and not future.cancelled():
        return future.result()
    try:
        return await future
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise
        raise Stale from None


class Stale(Exception):
    """The shared work was cancelled (its producer or a waiter was): do it again."""


async def produce(
    future: "asyncio.Future[Any]", work: Callable[[], Awaitable[Any]], forget: Callable[[], Any]
) -> Any:
    """Does the work for everyone waiting on `future`; on failure `forget`s the entry so the
    next asker starts afresh, and the waiters see the error (or Stale if it was a
    cancellation)."""
    try:
        result = await work()
    except BaseException as error:
        forget()
        if not future.done():
            future.set_exception(error)
            future.exception()  # retrieved: the waiters see it through await
        raise
    if not future.done():
        future.set_result(result)
    return result
