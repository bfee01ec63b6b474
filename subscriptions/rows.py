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
        now = time.monotonic()
        self._expire(now)
        entry = self._entries.get(key)
        if entry is None:
            future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            self._entries[key] = (now, future)
            try:
                future.set_result(await read())
            except BaseException as error:
                del self._entries[key]
                future.set_exception(error)
                future.exception()  # retrieved: the callers below see it through await
                raise
            return future.result()
        return await asyncio.shield(entry[1])

    def _expire(self, now: float) -> None:
        while self._entries:
            key, (created, _) = next(iter(self._entries.items()))
            if now - created < TTL_SECONDS and len(self._entries) < MAX_ENTRIES:
                break
            del self._entries[key]
