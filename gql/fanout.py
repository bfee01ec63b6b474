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
import functools
import json
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from graphql import DocumentNode, ExecutionResult
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.execution import optimized_is_awaitable
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from gql.context import Context, Info
from gql.instrumentation import TRANSPORT_SEND
from gql.loaders import Loaders
from subscriptions import metrics
from subscriptions.rows import Stale, outcome, produce

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
        self._operation_key = self.operation_key
        executor = super().build_per_event_executor(payload)
        assert isinstance(executor, FanoutExecutor)
        executor._shared_event = event_key(payload)
        return executor

    def execute_operation(self, serially: bool | None = None) -> Any:
        if self._shared_event is None or not isinstance(self.context_value, Context):
            return super().execute_operation(serially)
        return self._execute_shared()

    @classmethod
    def for_subscription(
        cls, info: Info, sink: "Sink", *, context: Context | None = None
    ) -> "FanoutExecutor | None":
        """An executor of a subscription's operation (built once per subscription), for the
        socket's context or the one given."""
        raw = info._raw_info
        document = DocumentNode(definitions=(raw.operation, *raw.fragments.values()))
        built = cls.build(
            raw.schema,
            document,
            context_value=context or info.context,
            raw_variable_values=sink.variables,
            is_awaitable=cast(Any, optimized_is_awaitable),
        )
        return built if isinstance(built, FanoutExecutor) else None

    @property
    def operation_key(self) -> Hashable:
        if self._operation_key is None:
            self._operation_key = self._describe_operation()
        return self._operation_key

    async def execute_event(self, payload: Any) -> ExecutionResult:
        result: ExecutionResult = await self.build_per_event_executor(payload).execute_operation(
            None
        )
        return result

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


@dataclass(frozen=True)
class Sink:
    """Where a websocket operation's frames go: its id, its protocol's data message type
    ("next" or, in legacy graphql-ws, "data"), its raw variables, and the socket.

    `writable()` is true when a frame can be written at once, without waiting for a slow
    client; `write_now` then writes it through the server's own send (uvicorn's, whose
    `writable` event tells when its transport is paused). Elsewhere writable() is false."""

    operation_id: str
    message_type: str
    variables: dict[str, Any] | None
    send_text: Callable[[str], Awaitable[None]]
    is_open: Callable[[], bool]
    writable: Callable[[], bool] = lambda: False
    write_now: Callable[[str], Awaitable[None]] | None = None
    prefix: str = field(init=False)

    def __post_init__(self) -> None:
        operation = json.dumps(self.operation_id)
        object.__setattr__(
            self, "prefix", f'{{"id":{operation},"type":"{self.message_type}","payload":'
        )

    def frame(self, payload_json: str) -> str:
        return self.prefix + payload_json + "}"

    @classmethod
    def of(
        cls,
        adapter: object,
        operation_id: str,
        message_type: str,
        variables: dict[str, Any] | None,
        is_open: Callable[[], bool],
    ) -> "Sink":
        assert isinstance(adapter, ASGIWebSocketAdapter)
        send = adapter.ws.scope.get(TRANSPORT_SEND)
        ready = getattr(getattr(send, "__self__", None), "writable", None)
        if send is None or not isinstance(ready, asyncio.Event):
            return cls(operation_id, message_type, variables, adapter.ws.send_text, is_open)

        async def write_now(text: str) -> None:
            await send({"type": "websocket.send", "text": text})

        return cls(
            operation_id,
            message_type,
            variables,
            adapter.ws.send_text,
            is_open,
            ready.is_set,
            write_now,
        )


CURRENT_SINK: ContextVar[Sink | None] = ContextVar("momentum_operation_sink", default=None)


Resolver = TypeVar("Resolver", bound=Callable[..., AsyncIterator[Any]])


def delivered_directly(resolver: Resolver) -> Resolver:
    """Wraps an event subscription resolver: on websockets, each shareable event it yields
    is executed through the shared results and its frame written straight to the socket,
    skipping the per-subscriber execution pipeline; anything else (SSE, events with errors,
    values without a cursor) is yielded to Strawberry as before."""

    @functools.wraps(resolver)
    async def wrapper(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        info: Info = kwargs["info"]
        sink = CURRENT_SINK.get()
        executor: FanoutExecutor | None = None
        async for payload in resolver(*args, **kwargs):
            if sink is not None and event_key(payload) is not None:
                executor = executor or FanoutExecutor.for_subscription(info, sink)
                if executor is not None and await _send(executor, payload, sink, info):
                    continue
            yield payload

    return wrapper  # type: ignore[return-value]


async def _send(executor: FanoutExecutor, payload: Any, sink: Sink, info: Info) -> bool:
    """Writes the event's shared frame; False when it has errors (Strawberry reports them)."""
    result = await executor.execute_event(payload)
    if result.errors or result.data is None:
        return False
    if sink.is_open():
        frames = info.context.realtime.frames
        await sink.send_text(sink.frame(payload_json(frames, result.data)))
    return True


def payload_json(frames: Frames, data: Any) -> str:
    """The JSON of a result's payload: shared when an execution shared the data."""
    return frames.payload(data) or json.dumps({"data": data}, separators=(",", ":"))
