"""The per-instance fan-out: one Redis subscription per topic, however many local
subscribers it has, each event parsed once, and a bounded queue per subscriber.

A subscriber that falls behind does not grow memory: its queue is cleared and it receives
one GAP marker, after which it catches up from the event log (see stream.py). A Redis
reconnect (the backend's on_gap) sends GAP to every subscriber for the same reason.

The hub also knows where "now" is in the log without asking the database: the relay ends
every batch it publishes (one Redis transaction) with its position, and the hub follows
that topic. A listener starts at `start`: the newest cursor the hub had handed out when the
listener was attached, after Redis confirmed any new channel it needed. Every event after
`start` reaches the listener live: one published before a new channel's confirmation had
its batch's position read by then (same connection, in order), so it is not after `start`.
"""

import asyncio
import logging
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Protocol

from subscriptions import metrics
from subscriptions.log import POSITION_TOPIC, Cursor, LogEvent
from subscriptions.redis_backend import Subscribed, SupervisedRedisBackend

CONFIRMATION_SECONDS = 5.0  # past this, a listener starts without a known position


class Gap:
    """The marker a listener gets when messages may have been missed: catch up from the log."""

    def __repr__(self) -> str:
        return "GAP"


GAP = Gap()
Message = LogEvent | Gap

log = logging.getLogger(__name__)


class Listener(Protocol):
    """Whatever the hub hands each event of its topics (or GAP) to, synchronously."""

    def offer(self, message: Message) -> None: ...


@dataclass(eq=False)
class Subscriber:
    """One local subscriber: its topics, its bounded mailbox of events (or GAP), and where it
    starts (None: the hub did not know; ask the log). The mailbox is made on the first
    message: an idle subscriber holds no queue."""

    topics: frozenset[str]
    limit: int
    start: Cursor | None = field(default=None)
    _messages: deque[Message] | None = field(default=None, repr=False)
    _waiter: asyncio.Future[None] | None = field(default=None, repr=False)

    def offer(self, message: Message) -> None:
        if self._messages is None:
            self._messages = deque()
        elif len(self._messages) >= self.limit:
            metrics.SUBSCRIBER_OVERFLOWS.inc()
            self._messages.clear()
            message = GAP
        self._messages.append(message)
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    @property
    def waiting(self) -> int:
        """Messages not taken yet."""
        return len(self._messages) if self._messages else 0

    async def get(self) -> Message:
        while not self._messages:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._messages.popleft()


@dataclass(eq=False)
class Callback:
    """A listener that is a plain function (no queue, no task): it must not block."""

    call: Callable[[Message], None]

    def offer(self, message: Message) -> None:
        self.call(message)


class Hub:
    def __init__(
        self, backend: SupervisedRedisBackend, *, prefix: str, queue_size: int = 1000
    ) -> None:
        self._backend = backend
        backend.on_gap = self._gap
        self._prefix = prefix
        self._queue_size = queue_size
        self._by_topic: dict[str, set[Listener]] = defaultdict(set)
        self._confirming: dict[str, list[asyncio.Future[bool]]] = defaultdict(list)
        self._lock = asyncio.Lock()
        self._reader: asyncio.Task[None] | None = None
        self._handed_out: Cursor | None = None

    async def start(self) -> None:
        await self._backend.connect()
        await self._backend.subscribe(self.channel(POSITION_TOPIC))
        self._reader = asyncio.create_task(self._read(), name="hub-reader")

    async def stop(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
        await self._backend.disconnect()

    def channel(self, topic: str) -> str:
        return f"{self._prefix}{topic}"

    @property
    def connected(self) -> bool:
        """Whether messages are flowing (false while Redis is unreachable)."""
        return self._backend.connected

    @asynccontextmanager
    async def subscribe(self, topics: frozenset[str]) -> AsyncIterator[Subscriber]:
        """A bounded mailbox of the topics' events for a task to read, from `start` on."""
        subscriber = Subscriber(topics, self._queue_size)
        async with self.listen(topics, subscriber) as start:
            subscriber.start = start
            yield subscriber

    @asynccontextmanager
    async def listen(
        self, topics: frozenset[str], listener: Listener
    ) -> AsyncIterator[Cursor | None]:
        """Hands the topics' events to the listener while the block runs; yields the cursor
        after which every event reaches it (None: unknown, the hub has no position yet)."""
        confirmations = []
        async with self._lock:
            for topic in topics:
                channel = self.channel(topic)
                if not self._by_topic[topic] and await self._backend.subscribe(channel):
                    future = asyncio.get_running_loop().create_future()
                    self._confirming[channel].append(future)
                    confirmations.append(future)
                self._by_topic[topic].add(listener)
        metrics.HUB_SUBSCRIBERS.inc()
        try:
            yield await self._start_after(confirmations)
        finally:
            metrics.HUB_SUBSCRIBERS.dec()
            for future in confirmations:
                future.cancel()
            async with self._lock:
                for topic in topics:
                    self._by_topic[topic].discard(listener)
                    if not self._by_topic[topic]:
                        del self._by_topic[topic]
                        await self._backend.unsubscribe(self.channel(topic))

    async def _start_after(self, confirmations: list[asyncio.Future[bool]]) -> Cursor | None:
        """The newest cursor handed out once Redis confirmed the new channels."""
        if confirmations:
            try:
                async with asyncio.timeout(CONFIRMATION_SECONDS):
                    await asyncio.gather(*confirmations)
            except TimeoutError:
                return None
            if not all(future.result() for future in confirmations):
                return None
        return self._handed_out

    @property
    def now(self) -> Cursor | None:
        """The newest cursor this hub has handed out or heard the relay reach (None: it has
        heard nothing yet)."""
        return self._handed_out

    @property
    def topics(self) -> frozenset[str]:
        """Topics (Redis channels) subscribed for local listeners."""
        return frozenset(self._by_topic)

    @property
    def topic_count(self) -> int:
        return len(self._by_topic)

    @property
    def listener_count(self) -> int:
        return len({listener for group in self._by_topic.values() for listener in group})

    async def _read(self) -> None:
        while True:
            item = await self._backend.next_published()
            if isinstance(item, Subscribed):
                for future in self._confirming.pop(item.channel, ()):
                    if not future.done():
                        future.set_result(True)
                continue
            topic = item.channel.removeprefix(self._prefix)
            if topic == POSITION_TOPIC:
                self._reached(Cursor.parse(item.message))
                continue
            listeners = self._by_topic.get(topic)
            if not listeners:
                continue
            event = LogEvent.from_json(item.message)  # once, for every local listener
            self._reached(event.cursor)
            for listener in list(listeners):
                _offer(listener, event)

    def _reached(self, cursor: Cursor) -> None:
        if self._handed_out is None or cursor > self._handed_out:
            self._handed_out = cursor

    def _gap(self, reason: str) -> None:
        """Every listener may have missed messages (a Redis reconnect, an overflow); those
        still waiting for a confirmation start without a known position."""
        for futures in self._confirming.values():
            for future in futures:
                if not future.done():
                    future.set_result(False)
        self._confirming.clear()
        for listener in {s for group in self._by_topic.values() for s in group}:
            _offer(listener, GAP)


def _offer(listener: Listener, message: Message) -> None:
    """One listener's failure must not stop the hub's delivery to the others."""
    try:
        listener.offer(message)
    except Exception:
        log.exception("hub listener failed on a message")
