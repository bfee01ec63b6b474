"""The relay: one elected process reads the event log in order and publishes to Redis.

Election is a Postgres advisory lock held on the relay's own connection: whoever holds it is
the leader; the others retry every ELECTION_SECONDS and take over when the leader's
connection ends (process killed, connection terminated, network gone). The leader records
its position in realtime_relay_state after publishing, so a successor continues from there;
an event may be published twice around a failover, never skipped (subscribers drop
duplicates by cursor).

Each batch is published in one Redis transaction, ending with the relay's position (the
cursor it has published up to) on the `log:position` topic; the position is also repeated
at every poll. Every instance's hub follows it, so a subscription
learns where "now" is in the log without asking the database, and because a batch is
atomic, a hub subscription confirmed after it also sees its position (stream.py).
"""

import asyncio
import contextlib
import logging
import random
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import asyncpg
from redis.exceptions import RedisError

from models.db import asyncpg_dsn
from subscriptions import log as event_log
from subscriptions import metrics
from subscriptions.capture import NOTIFY_CHANNEL
from subscriptions.log import POSITION_TOPIC, Cursor
from subscriptions.redis_backend import SupervisedRedisBackend

logger = logging.getLogger(__name__)

RELAY_LOCK_KEY = 0x72656C6179  # "relay"
APPLICATION_NAME = "momentum-relay"  # how its connection shows in pg_stat_activity


class Role(StrEnum):
    STARTING = "starting"
    STANDBY = "standby"
    LEADER = "leader"


@dataclass
class RelayOptions:
    election_seconds: float = 1.0
    poll_seconds: float = 0.5
    batch_size: int = 500
    prune_every_seconds: float = 60.0
    retention_seconds: float = 24 * 3600
    max_events: int = 1_000_000


class Relay:
    def __init__(
        self,
        database_url: str,
        publisher: SupervisedRedisBackend,
        *,
        prefix: str,
        options: RelayOptions | None = None,
    ) -> None:
        self._dsn = asyncpg_dsn(database_url)
        self._publisher = publisher
        self._prefix = prefix
        self._options = options or RelayOptions()
        self.role = Role.STARTING
        self.position = event_log.ORIGIN
        self._wake = asyncio.Event()
        self._connection: Any = None
        self._stopping = False

    def stop(self) -> None:
        """Asks run() to return. A flag as well as cancellation: on Python 3.11 a
        cancellation can be lost inside asyncio.wait_for (asyncpg uses it)."""
        self._stopping = True
        self._wake.set()
        self._step_down()

    async def run(self) -> None:
        """Campaigns, leads, and starts over after any failure, until stop()."""
        failures = 0
        while not self._stopping:
            try:
                await self._campaign_and_lead()
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as error:  # never die: a dead relay task silences all realtime
                if self._stopping:
                    return
                if not isinstance(
                    error, (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, RedisError)
                ):
                    logger.exception("relay: unexpected error")
                failures += 1
                delay = min(5.0, 0.1 * 2 ** min(failures, 6)) * random.uniform(0.5, 1.0)
                logger.warning("relay: %r; retrying in %.2fs", error, delay)
                await asyncio.sleep(delay)
            finally:
                self._step_down()

    def _step_down(self) -> None:
        if self.role is Role.LEADER:
            logger.info("relay: no longer the leader")
        self.role = Role.STANDBY
        metrics.RELAY_LEADER.set(0)
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.terminate()

    async def _campaign_and_lead(self) -> None:
        connection = await asyncpg.connect(
            self._dsn, timeout=10, server_settings={"application_name": APPLICATION_NAME}
        )
        self._connection = connection
        lost = asyncio.Event()
        connection.add_termination_listener(lambda _: lost.set())
        self.role = Role.STANDBY
        # Polling the lock is the election; a blocking pg_advisory_lock would hide a dead peer.
        while not await connection.fetchval("SELECT pg_try_advisory_lock($1)", RELAY_LOCK_KEY):
            if self._stopping:
                return
            await asyncio.sleep(self._options.election_seconds)
        self.role = Role.LEADER
        metrics.RELAY_LEADER.set(1)
        logger.info("relay: elected leader")
        await connection.add_listener(NOTIFY_CHANNEL, lambda *_: self._wake.set())
        self.position = await _recorded_position(connection)
        loop = asyncio.get_running_loop()
        next_prune = loop.time()
        while not lost.is_set():
            if self._stopping:
                return
            relayed = await self._relay_batch(connection)
            if loop.time() >= next_prune:
                await event_log.prune(
                    connection,
                    relayed=self.position,
                    max_age_seconds=self._options.retention_seconds,
                    max_events=self._options.max_events,
                )
                next_prune = loop.time() + self._options.prune_every_seconds
            if relayed < self._options.batch_size:
                self._wake.clear()
                # Settled events can appear without a notification (xmin moved): poll too.
                # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation
                # that arrives as the wait completes, and the relay would never stop.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._options.poll_seconds):
                        await self._wake.wait()
        raise ConnectionError("relay connection lost")

    async def _relay_batch(self, connection: Any) -> int:
        """Publishes the next settled events in order and the log's position, in one Redis
        transaction, then records the position."""
        events = await event_log.read_after(
            connection, self.position, limit=self._options.batch_size
        )
        messages: list[tuple[str, str]] = []
        for event in events:
            payload = event.to_json()
            messages.extend((f"{self._prefix}{topic}", payload) for topic in event.topics)
        relayed = events[-1].cursor if events else self.position
        messages.append((f"{self._prefix}{POSITION_TOPIC}", str(relayed)))
        await self._publisher.publish_all(messages)
        metrics.EVENTS_RELAYED.inc(len(events))
        if events:
            self.position = relayed
            await connection.execute(
                "UPDATE realtime_relay_state SET last_xid = $1::xid8, last_id = $2, "
                "relayed_at = now()",
                self.position.xid,
                self.position.id,
            )
        return len(events)


async def _recorded_position(connection: Any) -> Cursor:
    row = await connection.fetchrow(
        "SELECT last_xid::text::bigint AS xid, last_id AS id FROM realtime_relay_state"
    )
    return Cursor(row["xid"], row["id"])


async def lag(connection: Any) -> tuple[int, float]:
    """(committed events not yet relayed, seconds since the oldest of them was written).
    Events that wait for an older transaction to end count: they are lag a subscriber feels."""
    row = await connection.fetchrow(
        """
        SELECT count(*) AS events,
               coalesce(extract(epoch FROM now() - min(e.created_at)), 0) AS seconds
        FROM realtime_events e, realtime_relay_state s
        WHERE (e.xid, e.id) > (s.last_xid, s.last_id)
        """
    )
    return int(row["events"]), float(row["seconds"])
