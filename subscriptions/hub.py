"""The per-instance fan-out: one Redis subscription per topic, however many local
subscribers it has, and a bounded queue per subscriber.

A subscriber that falls behind does not grow memory: its queue is cleared and it receives
one GAP marker, after which it catches up from the event log (see stream.py). A Redis
reconnect (the backend's on_gap) sends GAP to every subscriber for the same reason.
"""

import asyncio
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Protocol

from subscriptions import metrics
from subscriptions.redis_backend import SupervisedRedisBackend


class Gap:
    """The marker a listener gets when messages may have been missed: catch up from the log."""

    def __repr__(self) -> str:
        return "GAP"


GAP = Gap()
Message = str | Gap

log = logging.getLogger(__name__)


class Listener(Protocol):
    """Whatever the hub hands each message of its topics (or GAP) to, synchronously."""

    def offer(self, message: Message) -> None: ...


@dataclass(eq=False)
class Subscriber:
    """One local subscriber: its topics and its bounded queue of raw messages (or GAP)."""

    topics: frozenset[str]
    queue: asyncio.Queue[Message]

    def offer(self, message: Message) -> None:
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            metrics.SUBSCRIBER_OVERFLOWS.inc()
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(GAP)

    async def get(self) -> Message:
        return await self.queue.get()


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
        self._lock = asyncio.Lock()
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._backend.connect()
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
        """A bounded queue of the topics' messages, for a task to read."""
        subscriber = Subscriber(topics, asyncio.Queue(maxsize=self._queue_size))
        async with self.listen(topics, subscriber):
            yield subscriber

    @asynccontextmanager
    async def listen(self, topics: frozenset[str], listener: Listener) -> AsyncIterator[None]:
        """Hands the topics' messages to the listener while the block runs."""
        async with self._lock:
            for topic in topics:
                if not self._by_topic[topic]:
                    await self._backend.subscribe(self.channel(topic))
                self._by_topic[topic].add(listener)
        metrics.HUB_SUBSCRIBERS.inc()
        try:
            yield
        finally:
            metrics.HUB_SUBSCRIBERS.dec()
            async with self._lock:
                for topic in topics:
                    self._by_topic[topic].discard(listener)
                    if not self._by_topic[topic]:
                        del self._by_topic[topic]
                        await self._backend.unsubscribe(self.channel(topic))

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
            event = await self._backend.next_published()
            topic = event.channel.removeprefix(self._prefix)
            for listener in list(self._by_topic.get(topic, ())):
                _offer(listener, event.message)

    def _gap(self, reason: str) -> None:
        """Every listener may have missed messages (a Redis reconnect, an overflow)."""
        for listener in {s for group in self._by_topic.values() for s in group}:
            _offer(listener, GAP)


def _offer(listener: Listener, message: Message) -> None:
    """One listener's failure must not stop the hub's delivery to the others."""
    try:
        listener.offer(message)
    except Exception:
        log.exception("hub listener failed on a message")
