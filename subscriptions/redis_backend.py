"""broadcaster's backend interface over Redis pub/sub, supervised.

broadcaster's own RedisBackend stops listening for good after a Redis restart, delivers
nothing with redis-py 8 (socket timeouts), and queues without bound. This one keeps one
pub/sub connection alive: it reconnects with jittered backoff, resubscribes every channel,
and after every (re)connect, or when its inbox overflows, calls `on_gap`, so that
subscribers catch up from the event log for whatever they may have missed.
"""

import asyncio
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis.asyncio as redis
from broadcaster import BroadcastBackend, Event
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 5.0


@dataclass(frozen=True)
class Subscribed:
    """Redis confirmed a subscription: every message published after it on that channel
    follows, in order with the other channels' messages."""

    channel: str


HEALTH_CHECK_SECONDS = 5


class SupervisedRedisBackend(BroadcastBackend):
    def __init__(
        self,
        url: str,
        *,
        inbox_size: int = 10_000,
        on_reconnect: Callable[[], None] | None = None,
    ) -> None:
        self._url = url
        self._channels: set[str] = set()  # wanted
        self._subscribed: set[str] = set()  # asked of the live connection
        self._unsubscribing: set[str] = set()  # being removed from it right now
        self._syncing: asyncio.Task[None] | None = None
        self._inbox: asyncio.Queue[Event | Subscribed] = asyncio.Queue(maxsize=inbox_size)
        self._publisher = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self._pubsub: Any = None
        self._supervisor: asyncio.Task[None] | None = None
        self._connected = asyncio.Event()
        self._on_reconnect = on_reconnect
        self._lock = asyncio.Lock()
        self._closed = False
        self.on_gap: Callable[[str], None] = lambda reason: None
        """Told when messages may have been missed (set by whoever reads them)."""

    @property
    def connected(self) -> bool:
        """Whether the pub/sub connection is up (messages can arrive)."""
        return self._connected.is_set()

    async def connect(self) -> None:
        self._supervisor = asyncio.create_task(self._supervise(), name="redis-pubsub")

    async def disconnect(self) -> None:
        # A flag as well as cancellation: redis-py can turn a cancellation into its own error.
        self._closed = True
        if self._syncing is not None:
            self._syncing.cancel()
            await asyncio.gather(self._syncing, return_exceptions=True)
        if self._supervisor is not None:
            self._supervisor.cancel()
            await asyncio.gather(self._supervisor, return_exceptions=True)
        await self._publisher.aclose()

    async def subscribe(self, channel: str) -> bool:
        """Wants the channel; True when Redis will confirm it (a Subscribed item follows),
        False when the connection is subscribed to it already. Subscriptions asked for at
        the same moment go to Redis as one command."""
        self._channels.add(channel)
        if channel in self._subscribed and channel not in self._unsubscribing:
            return False  # stays subscribed: any pending sync now keeps it
        self._sync_soon()
        return True

    async def unsubscribe(self, channel: str) -> None:
        self._channels.discard(channel)
        self._sync_soon()

    def _sync_soon(self) -> None:
        if self._syncing is None or self._syncing.done():
            self._syncing = asyncio.create_task(self._sync(), name="redis-subscriptions")

    async def _sync(self) -> None:
        """Brings the connection's subscriptions to the wanted channels, in two commands."""
        async with self._lock:
            while self._subscribed != self._channels:  # wanted ones may change meanwhile
                if self._pubsub is None or not self._connected.is_set():
                    return  # the supervisor subscribes them all when it connects
                wanted, current = set(self._channels), self._subscribed
                self._unsubscribing = current - wanted
                try:
                    if added := wanted - current:
                        await self._pubsub.subscribe(*added)
                    if self._unsubscribing:
                        await self._pubsub.unsubscribe(*self._unsubscribing)
                except (RedisError, OSError):
                    log.warning("updating subscriptions failed; resubscribing on reconnect")
                    return
                finally:
                    self._unsubscribing = set()
                self._subscribed = wanted

    async def publish(self, channel: str, message: Any) -> None:
        await self._publisher.publish(channel, message)

    async def publish_all(self, messages: list[tuple[str, str]]) -> None:
        """Publishes the messages in order, in one round trip, as one transaction: no
        SUBSCRIBE of any client is processed between two of them."""
        async with self._publisher.pipeline(transaction=True) as pipeline:
            for channel, message in messages:
                pipeline.publish(channel, message)
            await pipeline.execute()

    async def next_published(self) -> Event | Subscribed:
        """The next message, or the confirmation of a subscription, in Redis's order."""
        return await self._inbox.get()

    def _deliver(self, event: Event | Subscribed) -> None:
        try:
            self._inbox.put_nowait(event)
        except asyncio.QueueFull:
            # The hub fell behind: drop the backlog and tell it to catch up from the log.
            while not self._inbox.empty():
                self._inbox.get_nowait()
            self.on_gap("overflow")

    async def _supervise(self) -> None:
        failures = 0
        while not self._closed:
            # TCP keepalive where there is TCP (unix sockets take no such option).
            keepalive = {"socket_keepalive": True} if self._url.startswith("redis") else {}
            client = redis.Redis.from_url(
                self._url, socket_timeout=None, socket_connect_timeout=5, **keepalive
            )
            pubsub = client.pubsub()
            try:
                await client.ping()
                async with self._lock:
                    self._pubsub = pubsub
                    if self._channels:
                        await pubsub.subscribe(*self._channels)
                    self._subscribed = set(self._channels)
                    self._connected.set()
                if failures and self._on_reconnect is not None:
                    self._on_reconnect()
                failures = 0
                self.on_gap("connected")
                await self._listen(client, pubsub)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # never die: without this task, realtime stops
                if self._closed:
                    return
                if not isinstance(error, (RedisError, OSError)):
                    log.exception("redis pub/sub supervisor: unexpected error")
                failures += 1
                delay = min(MAX_BACKOFF_SECONDS, 0.05 * 2 ** min(failures, 7))
                delay *= random.uniform(0.5, 1.0)
                log.warning("redis pub/sub lost (%r); reconnecting in %.2fs", error, delay)
                await asyncio.sleep(delay)
            finally:
                self._connected.clear()
                self._pubsub = None
                self._subscribed = set()
                await asyncio.shield(_close_quietly(pubsub, client))

    async def _listen(self, client: "redis.Redis", pubsub: Any) -> None:
        """Delivers messages until the connection fails. Pings when quiet, and treats a
        connection that stops answering pings as lost (half-open TCP)."""
        loop = asyncio.get_running_loop()
        last_heard = last_ping = loop.time()
        while not self._closed:
            if not pubsub.subscribed:
                await asyncio.sleep(0.1)
                if loop.time() - last_ping > HEALTH_CHECK_SECONDS:
                    await client.ping()
                    last_heard = last_ping = loop.time()
                continue
            message = await pubsub.get_message(timeout=1.0)
            now = loop.time()
            if message is not None:
                last_heard = now
                if message["type"] == "message":
                    self._deliver(
                        Event(channel=_text(message["channel"]), message=_text(message["data"]))
                    )
                elif message["type"] == "subscribe":
                    self._deliver(Subscribed(_text(message["channel"])))
            if now - last_ping > HEALTH_CHECK_SECONDS:
                await pubsub.ping()
                last_ping = now
            if now - last_heard > 3 * HEALTH_CHECK_SECONDS:
                raise ConnectionError("redis stopped answering pings")


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


async def _close_quietly(pubsub: Any, client: "redis.Redis") -> None:
    try:
        await pubsub.aclose()
        await client.aclose()
    except (RedisError, OSError):
        pass
