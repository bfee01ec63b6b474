"""Subscription fan-out, the executor: each event is executed and serialized once, not once
per subscriber (the results and frames are kept in shared.py, written through sink.py).

Every subscriber keeps its own event stream (its authorization, filters and cursor), but the
values those streams yield for one logged event are the same for everyone who may see it:
an event object with a `cursor` and a `type` (CREATED, UPDATED, DELETED, RESYNC) is fully
determined by them. So the selection set is executed once per (event, operation text, the
variables the selection set reads: sharing.py), and every subscriber with the same operation
gets the same result object, which is serialized once (`Frames`) and framed per socket by
string concatenation. Nothing is built or held per subscriber for this: an executor is made
only by whoever executes an event first.

Who shares an execution is declared (sharing.py): an operation that selects a per-viewer
field is shared only between sockets of the same viewer. Shared executions use fresh
loaders, so nothing cached for the life of a socket leaks into events.
"""

import asyncio
import dataclasses
import functools
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from typing import Any, TypeVar, cast

from graphql import DocumentNode, ExecutionResult, GraphQLError
from strawberry.execution import optimized_is_awaitable
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from gql.context import Context, Info
from gql.loaders import Loaders
from gql.realtime.shared import Payload, payload_of
from gql.realtime.sharing import Sharing, sharing_of
from gql.realtime.sink import CURRENT_SINK, Sink
from subscriptions import log as event_log


def event_context(context: Context) -> Context:
    """The context one event executes in: the socket's, with fresh loaders."""
    return dataclasses.replace(context, loaders=Loaders(context.reads, context.viewer_id))


def event_key(payload: object) -> Hashable | None:
    """What determines an event value for everyone who receives it; None: not shareable."""
    cursor = getattr(payload, "cursor", None)
    change = getattr(payload, "type", None)
    if cursor is None or change is None:
        return None
    return type(payload).__name__, cursor, change


class FanoutExecutor(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's executor, executing shareable subscription events once (for the events
    Strawberry executes itself: SSE, and what the direct path hands back)."""

    _shared_event: Hashable | None = None

    def build_per_event_executor(self, payload: Any) -> Any:
        executor = super().build_per_event_executor(payload)
        assert isinstance(executor, FanoutExecutor)
        executor._shared_event = event_key(payload)
        return executor

    def execute_operation(self, serially: bool | None = None) -> Any:
        if self._shared_event is None or not isinstance(self.context_value, Context):
            return super().execute_operation(serially)
        context: Context = self.context_value
        fragments = {name: details.definition for name, details in self.fragments.items()}
        sharing = sharing_of(self.schema, self.operation, fragments)
        key = sharing.key(self.variable_values.coerced, self._shared_event, context.viewer_id)
        return shared_result(
            context, key, lambda: execute_alone(self, self.root_value, event_context(context))
        )

    @classmethod
    def for_subscription(cls, info: Info, sink: Sink, context: Context) -> "FanoutExecutor | None":
        """An executor of a subscription's operation with the socket's variables, in the
        context given (None: the variables do not fit the operation)."""
        raw = info._raw_info
        document = DocumentNode(definitions=(raw.operation, *raw.fragments.values()))
        built = cls.build(
            raw.schema,
            document,
            context_value=context,
            raw_variable_values=sink.variables,
            is_awaitable=cast(Any, optimized_is_awaitable),
        )
        return built if isinstance(built, FanoutExecutor) else None


async def execute_alone(
    executor: FanoutExecutor, payload: Any, context: Context
) -> ExecutionResult:
    """The operation executed for one event value in the context, unshared."""
    per_event = executor.build_per_event_executor(payload)
    per_event._shared_event = None
    per_event.context_value = context
    try:
        outcome = per_event.execute_operation(None)
        result: ExecutionResult = await outcome if asyncio.iscoroutine(outcome) else outcome
    finally:
        context.loaders.forget()  # as OperationLoaders does after each operation
    return result


async def shared_result(
    context: Context, key: Hashable, execute: Callable[[], Awaitable[ExecutionResult]]
) -> ExecutionResult:
    """The result for the sharing key, executed only by whoever asks first; a result without
    errors is serialized once for everyone (Frames)."""
    realtime = context.realtime

    async def once() -> ExecutionResult:
        result = await execute()
        if result.data is not None and not result.errors:
            realtime.frames.share(result.data)
        return result

    return await realtime.shared.result(key, once)


def sharing_of_info(info: Info) -> Sharing:
    raw = info._raw_info
    return sharing_of(raw.schema, raw.operation, raw.fragments)


Resolver = TypeVar("Resolver", bound=Callable[..., AsyncIterator[Any]])


def delivered_directly(resolver: Resolver) -> Resolver:
    """Wraps an event subscription resolver: on websockets, each shareable event it yields
    gets its shared result (executed by the first subscriber who needs it; nothing is built
    or held per subscriber) and its frame written straight to the socket, skipping the
    per-subscriber execution pipeline; anything else (SSE, events with errors, values without
    a cursor) is yielded to Strawberry as before."""

    @functools.wraps(resolver)
    async def wrapper(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        info: Info = kwargs["info"]
        sink = CURRENT_SINK.get()
        sharing: Sharing | None = None
        async for payload in resolver(*args, **kwargs):
            event = event_key(payload) if sink is not None else None
            if sink is not None and event is not None:
                sharing = sharing or sharing_of_info(info)
                if await _send(info, sink, sharing, payload, event):
                    continue
            yield payload

    return wrapper  # type: ignore[return-value]


async def _send(info: Info, sink: Sink, sharing: Sharing, payload: Any, event: Hashable) -> bool:
    """Writes the event's shared frame; False when it has errors (Strawberry reports them)."""
    context = info.context

    async def execute() -> ExecutionResult:
        executor = FanoutExecutor.for_subscription(info, sink, event_context(context))
        if executor is None:
            return ExecutionResult(None, [GraphQLError("the variables do not fit")])
        return await execute_alone(executor, payload, executor.context_value)

    key = sharing.key(sink.variables, event, context.viewer_id)
    result = await shared_result(context, key, execute)
    if result.errors or result.data is None:
        return False
    await sink.send(payload_of(context.realtime.frames, result.data))
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
    sharing = sharing_of_info(info)
    anonymous = _anonymous(info.context)
    executor = FanoutExecutor.for_subscription(info, sink, anonymous)
    if executor is None or sharing.per_viewer:
        return None

    async def start() -> str:
        if realtime.hub.now is not None:
            return str(realtime.hub.now)
        async with realtime.pool.acquire() as connection:
            return str(await event_log.head(connection))

    async def execute(payload: Any) -> Payload | None:
        key = sharing.key(sink.variables, event_key(payload), None)
        result = await shared_result(
            anonymous, key, lambda: execute_alone(executor, payload, event_context(anonymous))
        )
        if result.errors:
            return None
        return payload_of(realtime.frames, result.data)

    # One group per stream: the same field, operation and variables (its arguments included).
    stream = (info.field_name, sharing.text, sharing.name, _all(sink.variables))
    async with realtime.groups.member(
        stream,
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


def _all(variables: dict[str, Any] | None) -> str:
    return json.dumps(variables or {}, sort_keys=True, default=str)


def _anonymous(context: Context) -> Context:
    """The context of a group's stream: nobody's viewer, fresh loaders."""
    return dataclasses.replace(
        context, viewer=None, viewer_id=None, loaders=Loaders(context.reads, None)
    )
