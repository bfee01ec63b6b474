"""The realtime runtime of one instance, without GraphQL: the supervised Redis connection,
the hub, the log reader pool and the window of recent events replays share, event rows read
once, live leaderboards, account guards, and the relay candidate."""

import asyncio
import contextlib
from dataclasses import dataclass

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models.db import asyncpg_dsn
from subscriptions import metrics
from subscriptions.accounts import AccountGuards
from subscriptions.hub import Hub
from subscriptions.leaderboards import Boards
from subscriptions.redis_backend import SupervisedRedisBackend
from subscriptions.relay import Relay, RelayOptions
from subscriptions.rows import EventRows
from subscriptions.window import LogWindow

LOG_READERS = 5  # connections of the pool that reads the event log


@dataclass(frozen=True)
class RuntimeOptions:
    database_url: str
    redis_url: str
    redis_prefix: str
    subscriber_queue_size: int
    leaderboard_snapshots_per_second: float
    relay: RelayOptions | None  # None: this instance never relays


class Runtime:
    def __init__(
        self, options: RuntimeOptions, sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        self.options = options
        self.sessionmaker = sessionmaker
        self.backend = SupervisedRedisBackend(
            options.redis_url, on_reconnect=metrics.REDIS_RECONNECTS.inc
        )
        self.hub = Hub(
            self.backend, prefix=options.redis_prefix, queue_size=options.subscriber_queue_size
        )
        self.boards = Boards(
            self.hub, sessionmaker, per_second=options.leaderboard_snapshots_per_second
        )
        self.rows = EventRows()
        self.relay: Relay | None = None
        if options.relay is not None:
            self.relay = Relay(
                options.database_url,
                self.backend,
                prefix=options.redis_prefix,
                options=options.relay,
            )
        self._relay_task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.pool: asyncpg.Pool = await asyncpg.create_pool(
            asyncpg_dsn(self.options.database_url), min_size=0, max_size=LOG_READERS
        )
        self.window = LogWindow(self.pool)
        await self.hub.start()
        self.accounts = AccountGuards(self.hub, self.pool)
        self.accounts.start()
        if self.relay is not None:
            self._relay_task = asyncio.create_task(self.relay.run(), name="relay")

    async def stop(self) -> None:
        if self.relay is not None and self._relay_task is not None:
            self.relay.stop()
            self._relay_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._relay_task
        await self.boards.stop()
        await self.accounts.stop()
        await self.hub.stop()
        await self.pool.close()
