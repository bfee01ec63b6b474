"""Subscription fan-out: each event is executed and serialized once, not once per subscriber.

Every subscriber keeps its own event stream (its authorization, filters and cursor), but the
values those streams yield for one logged event are the same for everyone who may see it:
an event object with a `cursor` and a `type` (CREATED, UPDATED, DELETED, RESYNC) is fully
determined by them. So the selection set is executed once per (event, operation text,
variables), and every subscriber with the same operation gets the same result object, which
is serialized once (`Frames`) and framed per socket by string concatenation.

Viewer-specific fields (`viewerReaction`, ...) are found by watching the execution: it runs
with a context that records any read of the viewer. An operation that read it is from then
on shared only between sockets of the same viewer. Shared executions use fresh loaders, so
nothing cached for the life of a socket leaks into events.
"""

import asyncio
import dataclasses
import json
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

from graphql import ExecutionResult
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from gql.context import Context
from gql.loaders import Loaders
from subscriptions import metrics

MAX_ENTRIES = 10_000


class EventContext(Context):
    """A context for executing one event: fresh loaders, and a note of any read of the
    viewer (resolvers reach the viewer-specific loaders only after checking the viewer)."""

    read_viewer: bool = False

    def __getattribute__(self, name: str) -> Any:
        if name in ("viewer", "viewer_id"):
            object.__setattr__(self, "read_viewer", True)
        return super().__getattribute__(name)

    @classmethod
    def fresh(cls, context: Context) -> "EventContext":
        values = {field.name: getattr(context, field.name) for field in dataclasses.fields(context)}
        values["loaders"] = Loaders(context.sessionmaker, context.viewer_id)
        return cls(**values)


@dataclasses.dataclass
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
        entry = self._entries.get(key)
        if entry is not None:
            result = await asyncio.shield(entry.future)
            if not entry.read_viewer or entry.viewer == viewer:
                metrics.EVENT_REUSES.inc()
                return result
            key = (operation, event, viewer)
        future: asyncio.Future[ExecutionResult] = asyncio.get_running_loop().create_future()
        entry = self._entries[key] = _Execution(future, viewer)
        self._trim()
        metrics.EVENT_EXECUTIONS.inc()
        try:
            result, read_viewer = await execute()
        except BaseException as error:
            self._entries.pop(key, None)
            future.set_exception(error)
            future.exception()
            raise
        if read_viewer:
            entry.read_viewer = True
            self._viewer_specific.add(operation)
        future.set_result(result)
        return result

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


def event_key(payload: object) -> Hashable | None:
    """What determines an event value for everyone who receives it; None: not shareable."""
    cursor = getattr(payload, "cursor", None)
    change = getattr(payload, "type", None)
    if cursor is None or change is None:
        return None
    return type(payload).__name__, cursor, change


class FanoutExecutor(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's executor, executing shareable subscription events once."""

    _shared_event: Hashable | None = None
    _operation_key: Hashable | None = None

    def build_per_event_executor(self, payload: Any) -> Any:
        if self._operation_key is None:
            self._operation_key = self._describe_operation()
        executor = super().build_per_event_executor(payload)
        assert isinstance(executor, FanoutExecutor)
        executor._shared_event = event_key(payload)
        return executor

    def execute_operation(self, serially: bool | None = None) -> Any:
        if self._shared_event is None or not isinstance(self.context_value, Context):
            return super().execute_operation(serially)
        return self._execute_shared()

    def _describe_operation(self) -> Hashable:
        source = self.operation.loc.source.body if self.operation.loc else id(self.operation)
        name = self.operation.name.value if self.operation.name else None
        variables = json.dumps(self.variable_values, sort_keys=True, default=str)
        return source, name, variables

    async def _execute_shared(self) -> ExecutionResult:
        context: Context = self.context_value
        realtime = context.realtime

        async def execute() -> tuple[ExecutionResult, bool]:
            event_context = EventContext.fresh(context)
            executor = self.build_per_event_executor(self.root_value)
            executor._shared_event = None
            executor.context_value = event_context
            outcome = executor.execute_operation(None)
            result = await outcome if asyncio.iscoroutine(outcome) else outcome
            if result.data is not None and not result.errors:
                realtime.frames.share(result.data)
            return result, event_context.read_viewer

        return await realtime.shared.result(
            self._operation_key, self._shared_event, context.viewer_id, execute
        )
