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


@dataclass
class _Execution:
    future: "asyncio.Future[ExecutionResult]"
    viewer: Hashable = None
    read_viewer: bool = False


class SharedExecutions:
    """Results of executed events, by (operation, variables, event[, viewer]), bounded."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._entries: OrderedDict[Hashable, _Execution] = OrderedDict()
        self._viewer_specific: set[Hashable] = set()
        self._max_entries = max_entries

    async def result(
        self,
        operation: Hashable,
        event: Hashable,
        viewer: Hashable,
        execute: Callable[[], Awaitable[tuple[ExecutionResult, bool]]],
    ) -> ExecutionResult:
        """The event's result for this operation, executing it only when no subscriber with
        the same operation (and, if it reads the viewer, the same viewer) has already."""
        specific = operation in self._viewer_specific
        key = (operation, event, viewer) if specific else (operation, event)
        while True:
            entry = self._entries.get(key)
            if entry is None or entry.future.cancelled():
                return await self._execute(key, operation, viewer, execute)
            try:
                result: ExecutionResult = await outcome(entry.future)
            except Stale:
                continue
            if not entry.read_viewer or entry.viewer == viewer:
                metrics.EVENT_REUSES.inc()
                return result
            key = (operation, event, viewer)

    async def _execute(
        self,
        key: Hashable,
        operation: Hashable,
        viewer: Hashable,
        execute: Callable[[], Awaitable[tuple[ExecutionResult, bool]]],
    ) -> ExecutionResult:
        entry = self._entries[key] = _Execution(asyncio.get_running_loop().create_future(), viewer)
        self._trim()
        metrics.EVENT_EXECUTIONS.inc()

        async def work() -> ExecutionResult:
            result, read_viewer = await execute()
            if read_viewer:
                entry.read_viewer = True
                self._viewer_specific.add(operation)
            return result

        result: ExecutionResult = await produce(
            entry.future, work, lambda: self._entries.pop(key, None)
        )
        return result

    def reads_viewer(self, operation: Hashable) -> bool:
        """Whether executing the operation was seen to read the viewer."""
        return operation in self._viewer_specific

    def _trim(self) -> None:
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)


class Frames:
    """The JSON of shared results, serialized once: `payload(data)` for a result's data
    object that an execution shared, else None."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._shared: OrderedDict[int, tuple[object, str | None]] = OrderedDict()
        self._max_entries = max_entries

    def share(self, data: object) -> None:
        self._shared[id(data)] = (data, None)
        while len(self._shared) > self._max_entries:
            self._shared.popitem(last=False)

    def payload(self, data: object) -> str | None:
        entry = self._shared.get(id(data))
        if entry is None or entry[0] is not data:
            return None
        if entry[1] is None:
            entry = (data, json.dumps({"data": data}, separators=(",", ":")))
            self._shared[id(data)] = entry
        return entry[1]


def payload_json(frames: Frames, data: Any) -> str:
    """The JSON of a result's payload: shared when an execution shared the data."""
    return frames.payload(data) or json.dumps({"data": data}, separators=(",", ":"))
