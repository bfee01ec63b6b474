"""Subscription groups: subscribers whose streams are provably identical share one stream.

When every member of a group would receive the same events with the same payloads (for
example everyone watching a public post's activity without viewer-specific fields), one task
per instance runs the stream once, executes and serializes each event once, and appends the
frame's JSON to each member's bounded buffer; each member's own operation task only frames
and writes it. Per delivery that is a buffer append and one task wake-up, instead of a
subscriber's whole generator chain and execution pipeline.

A group is only an optimisation: it dissolves, handing each member the cursor of the last
event it was given so that the member carries on with its own stream (no gap, no duplicate),
when an event may read differently per viewer (the `dissolves` predicate: a visibility
change), when an execution turns out to read the viewer, on an error, or, for one member,
when its buffer overflows (a slow client).
"""

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

from gql.realtime.shared import Payload
from gql.realtime.sink import Sink
from subscriptions import metrics

log = logging.getLogger(__name__)

MEMBER_BUFFER = 100


@dataclass(eq=False)
class Member:
    """One subscriber in a group: the frames waiting for its socket, and where it stands."""

    sink: Sink
    cursor: str
    frames: deque[tuple[str, Payload]] = field(default_factory=deque)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    dissolved: bool = False
    sending: bool = False

    @property
    def idle(self) -> bool:
        """Nothing queued or being written: a frame may go straight to the socket."""
        return not self.frames and not self.sending

    def offer(self, cursor: str, payload: Payload) -> bool:
        """Queues a frame; False when the member is too far behind (it must leave)."""
        if len(self.frames) >= MEMBER_BUFFER:
            return False
        self.frames.append((cursor, payload))
        self.ready.set()
        return True

    def dissolve(self) -> None:
        """Ends the membership after the frames already queued."""
        self.dissolved = True
        self.ready.set()

    async def deliver(self) -> str:
        """Writes frames as they come, until the group lets go of this member; returns the
        cursor to carry on after."""
        while True:
            await self.ready.wait()
            self.ready.clear()
            while self.frames:
                cursor, payload = self.frames.popleft()
                self.sending = True
                try:
                    await self.sink.send(payload)
                finally:
                    self.sending = False
                self.cursor = cursor
            if self.dissolved:
                return self.cursor


class Group:
    def __init__(
        self,
        key: Hashable,
        start: str,
        events: Callable[[str], AsyncIterator[Any]],
        execute: Callable[[Any], Awaitable[Payload | None]],
        dissolves: Callable[[Any], bool],
        on_end: Callable[["Group"], None],
    ) -> None:
        self.key = key
        self.cursor = start
        self.members: set[Member] = set()
        self.live = asyncio.Event()  # set when the stream is live (or the group ended)
        self.ended = False
        self._events = events
        self._execute = execute
        self._dissolves = dissolves
        self._on_end = on_end
        self._task = asyncio.create_task(self._run(), name=f"group-{key!r:.40}")

    def join(self, sink: Sink) -> Member:
        member = Member(sink, self.cursor)
        self.members.add(member)
        return member

    def leave(self, member: Member) -> None:
        self.members.discard(member)
        if not self.members:
            self._end()

    def _end(self) -> None:
        self.ended = True
        self.live.set()
        self._on_end(self)
        for member in self.members:
            member.dissolve()
        self.members.clear()
        if asyncio.current_task() is not self._task:
            self._task.cancel()

    async def _run(self) -> None:
        try:
            async for payload in self._events(self.cursor):
                if _is_ready(payload):  # each member gets its own READY as it joins
                    self.cursor = payload.cursor
                    self.live.set()
                    continue
                if self._dissolves(payload):
                    break
                shared = await self._execute(payload)
                if shared is None:
                    break
                for member in list(self.members):
                    self._give(member, payload.cursor, shared)
                self.cursor = payload.cursor
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("subscription group %r failed; members carry on alone", self.key)
        self._end()

    def _give(self, member: Member, cursor: str, payload: Payload) -> None:
        """Writes the frame at once when the member's socket can take it (the common case:
        no wake-up of its task), else queues it; a member too far behind leaves the group."""
        if member.idle and member.sink.write_at_once(payload):
            member.cursor = cursor
        elif not member.offer(cursor, payload):
            self.members.discard(member)
            member.dissolve()


def _is_ready(payload: Any) -> bool:
    """Whether a payload is the READY signal (its `type`'s value is "READY")."""
    return getattr(getattr(payload, "type", None), "value", None) == "READY"


class Groups:
    """The groups of one instance, by key."""

    def __init__(self) -> None:
        self._groups: dict[Hashable, Group] = {}

    @asynccontextmanager
    async def member(
        self,
        key: Hashable,
        sink: Sink,
        *,
        start: Callable[[], Awaitable[str]],
        events: Callable[[str], AsyncIterator[Any]],
        execute: Callable[[Any], Awaitable[Payload | None]],
        dissolves: Callable[[Any], bool],
        ready: Callable[[str], Awaitable[Payload | None]],
    ) -> AsyncIterator[Member | None]:
        """A membership of the group `key`, starting the group (its stream from `start()`)
        when there is none. The member's first frame is READY (`ready(cursor)`'s JSON) at
        the group's cursor when it joins; None when it cannot join (the group ended first,
        or READY failed): the subscriber then runs its own stream."""
        group = self._groups.get(key)
        if group is None:
            position = await start()
            group = self._groups.get(key)
            if group is None:
                group = self._groups[key] = Group(
                    key, position, events, execute, dissolves, self._forget
                )
        await group.live.wait()
        frame = None
        while not group.ended:
            cursor = group.cursor
            frame = await ready(cursor)
            if frame is None or (group.cursor == cursor and not group.ended):
                break
        if frame is None or group.ended:
            yield None
            return
        member = group.join(sink)
        member.offer(cursor, frame)
        metrics.GROUP_MEMBERS.inc()
        try:
            yield member
        finally:
            metrics.GROUP_MEMBERS.dec()
            group.leave(member)

    def _forget(self, group: Group) -> None:
        if self._groups.get(group.key) is group:
            del self._groups[group.key]

    async def stop(self) -> None:
        groups, self._groups = list(self._groups.values()), {}
        for group in groups:
            group._end()
            with suppress(asyncio.CancelledError):
                await group._task
