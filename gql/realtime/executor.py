"""Subscription fan-out, the executor: each event is executed and serialized once, not once
per subscriber (the results and frames are kept in shared.py, written through sink.py).

Every subscriber keeps its own event stream (its authorization, filters and cursor), but the
values those streams yield for one logged event are the same for everyone who may see it:
an event object with a `cursor` and a `type` (CREATED, UPDATED, DELETED, RESYNC) is fully
determined by them. So the selection set is executed once per (event, operation text,
variables), and every subscriber with the same operation gets the same result object, which
is serialized once (`Frames`) and framed per socket by string concatenation.

Who shares an execution is declared (sharing.py): an operation that selects a per-viewer
field is shared only between sockets of the same viewer. Shared executions use fresh
loaders, so nothing cached for the life of a socket leaks into events.
"""

import asyncio
import dataclasses
import functools
import json
from collections.abc import AsyncIterator, Callable, Hashable
from typing import Any, TypeVar, cast

from graphql import DocumentNode, ExecutionResult
from strawberry.execution import optimized_is_awaitable
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from gql.context import Context, Info
from gql.loaders import Loaders
from gql.realtime.shared import Payload, payload_of
from gql.realtime.sharing import per_viewer
from gql.realtime.sink import CURRENT_SINK, Sink
from subscriptions import log as event_log


def event_context(context: Context) -> Context:
    """The context one event executes in: the socket's, with fresh loaders."""
    return dataclasses.replace(context, loaders=Loaders(context.sessionmaker, context.viewer_id))


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
    _per_viewer: bool | None = None

    def build_per_event_executor(self, payload: Any) -> Any:
        self._operation_key = self.operation_key
        self._per_viewer = self.per_viewer
        executor = super().build_per_event_executor(payload)
        assert isinstance(executor, FanoutExecutor)
        executor._shared_event = event_key(payload)
        return executor

    def execute_operation(self, serially: bool | None = None) -> Any:
        if self._shared_event is None or not isinstance(self.context_value, Context):
            return super().execute_operation(serially)
        return self._shared(self.root_value, self._shared_event)

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

    @property
    def per_viewer(self) -> bool:
        """Whether the operation selects a field declared per viewer."""
        if self._per_viewer is None:
            fragments = {name: details.definition for name, details in self.fragments.items()}
            self._per_viewer = per_viewer(self.schema, self.operation, fragments)
        return self._per_viewer

    async def execute_event(self, payload: Any) -> ExecutionResult:
        """The event's result: the shared one when the event is shareable (looked up before
        any executor is built for it)."""
        event = event_key(payload)
        if event is not None and isinstance(self.context_value, Context):
            return await self._shared(payload, event)
        outcome = self.build_per_event_executor(payload).execute_operation(None)
        result: ExecutionResult = await outcome if asyncio.iscoroutine(outcome) else outcome
        return result

    def _describe_operation(self) -> Hashable:
        source = self.operation.loc.source.body if self.operation.loc else id(self.operation)
        name = self.operation.name.value if self.operation.name else None
        variables = json.dumps(self.variable_values, sort_keys=True, default=str)
        return source, name, variables

    async def _shared(self, payload: Any, event: Hashable) -> ExecutionResult:
        context: Context = self.context_value
        realtime = context.realtime
        viewer = context.viewer_id if self.per_viewer else None

        async def execute() -> ExecutionResult:
            executor = self.build_per_event_executor(payload)
            executor._shared_event = None
            executor.context_value = event_context(context)
            outcome = executor.execute_operation(None)
            result: ExecutionResult = await outcome if asyncio.iscoroutine(outcome) else outcome
            if result.data is not None and not result.errors:
                realtime.frames.share(result.data)
            return result

        return await realtime.shared.result((self.operation_key, event, viewer), execute)


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
    await sink.send(payload_of(info.context.realtime.frames, result.data))
    return True


async def run_in_group(
    info: Info,
    *,
    events: Callable[[Context, str], AsyncIterator[Any]],
    dissolves: Callable[[Any], bool],
    ready: Callable[[str], Any],
) -> str | None:
    """Runs this websocket subscription as a member of the group of identical ones until the
    group lets go of it; returns the cursor to carry on after, or None when it cannot join
    one (not a websocket, fan-out off, or an operation that selects a per-viewer field).

    `events(context, after)` is the stream as an anonymous viewer sees it: the caller vouches
    that everyone in the group sees the same, except for events `dissolves` picks out.
    `ready(cursor)` is the field's READY event at a cursor, each member's first."""
    sink = CURRENT_SINK.get()
    realtime = info.context.realtime
    if sink is None:
        return None
    anonymous = _anonymous(info.context)
    executor = FanoutExecutor.for_subscription(info, sink, context=anonymous)
    if executor is None or executor.per_viewer:
        return None

    async def start() -> str:
        if realtime.hub.now is not None:
            return str(realtime.hub.now)
        async with realtime.pool.acquire() as connection:
            return str(await event_log.head(connection))

    async def execute(payload: Any) -> Payload | None:
        result = await executor.execute_event(payload)
        if result.errors:
            return None
        return payload_of(realtime.frames, result.data)

    async with realtime.groups.member(
        (info.field_name, executor.operation_key),
        sink,
        start=start,
        events=lambda after: events(anonymous, after),
        execute=execute,
        dissolves=dissolves,
        ready=lambda cursor: execute(ready(cursor)),
    ) as member:
        if member is None:
            return None
        info.context.admitted()
        resume_after: str = await member.deliver()
        return resume_after


def _anonymous(context: Context) -> Context:
    """The context of a group's stream: nobody's viewer, fresh loaders."""
    return dataclasses.replace(
        context, viewer=None, viewer_id=None, loaders=Loaders(context.sessionmaker, None)
    )
