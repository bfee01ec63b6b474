"""Results of subscription events, executed once and serialized once for every subscriber
who receives the same value (the fan-out engine's memory, bounded)."""

import asyncio
import json
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any

from graphql import ExecutionResult

from subscriptions import metrics
from subscriptions.rows import Stale, outcome, produce

MAX_ENTRIES = 10_000


class SharedExecutions:
    """Results of executed events, by (operation, event) or, for operations that select a
    per-viewer field, by (operation, event, viewer); bounded."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._entries: OrderedDict[Hashable, asyncio.Future[ExecutionResult]] = OrderedDict()
        self._max_entries = max_entries

    async def result(
        self, key: Hashable, execute: Callable[[], Awaitable[ExecutionResult]]
    ) -> ExecutionResult:
        """The result for this key, executing it only when nobody has already."""
        while True:
            entry = self._entries.get(key)
            if entry is None or entry.cancelled():
                entry = self._entries[key] = asyncio.get_running_loop().create_future()
                self._trim()
                metrics.EVENT_EXECUTIONS.inc()
                result: ExecutionResult = await produce(
                    entry, execute, lambda: self._entries.pop(key, None)
                )
                return result
            try:
                result = await outcome(entry)
            except Stale:
                continue
            metrics.EVENT_REUSES.inc()
            return result

    def _trim(self) -> None:
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)


@dataclass(frozen=True)
class Payload:
    """A result's `{"data": ...}` as JSON text and as its UTF-8 bytes, made once."""

    text: str
    data: bytes

    @classmethod
    def of(cls, data: Any) -> "Payload":
        text = json.dumps({"data": data}, separators=(",", ":"))
        return cls(text, text.encode())


class Frames:
    """The payloads of shared results, serialized and encoded once: `payload(data)` for a
    result's data object that an execution shared, else None."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._shared: OrderedDict[int, tuple[object, Payload | None]] = OrderedDict()
        self._max_entries = max_entries

    def share(self, data: object) -> None:
        self._shared[id(data)] = (data, None)
        while len(self._shared) > self._max_entries:
            self._shared.popitem(last=False)

    def payload(self, data: object) -> Payload | None:
        entry = self._shared.get(id(data))
        if entry is None or entry[0] is not data:
            return None
        if entry[1] is None:
            entry = (data, Payload.of(data))
            self._shared[id(data)] = entry
        return entry[1]


def payload_of(frames: Frames, data: Any) -> Payload:
    """A result's payload: the shared one when an execution shared the data."""
    return frames.payload(data) or Payload.of(data)
