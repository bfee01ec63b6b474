"""The realtime runtime of one instance: Redis backend, hub, log reader pool, leaderboards,
relay."""

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gql.connection_limits import ConnectionLimits
from gql.fanout import Frames, SharedExecutions
from gql.groups import Groups
from gql.settings import Settings
from models.db import asyncpg_dsn
from subscriptions import metrics
from subscriptions.accounts import AccountGuards
from subscriptions.hub import Hub
from subscriptions.leaderboards import Boards
from subscriptions.redis_backend import SupervisedRedisBackend
from subscriptions.relay import Relay, RelayOptions
from subscriptions.rows import EventRows

log = logging.getLogger(__name__)


@dataclass
class Realtime:
    settings: Settings
    sessionmaker: async_sessionmaker[AsyncSession]
    backend: SupervisedRedisBackend = field(init=False)
    hub: Hub = field(init=False)
    boards: Boards = field(init=False)
    relay: Relay | None = field(init=False, default=None)
    pool: asyncpg.Pool = field(init=False)
    rows: EventRows = field(init=False, default_factory=EventRows)
    shared: SharedExecutions = field(init=False, default_factory=SharedExecutions)
    frames: Frames = field(init=False, default_factory=Frames)
    groups: Groups = field(init=False, default_factory=Groups)
    accounts: AccountGuards = field(init=False)
    connections: ConnectionLimits = field(init=False)
    _relay_task: asyncio.Task[None] | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        assert self.settings.redis_url is not None and self.settings.database_url is not None
        self.backend = SupervisedRedisBackend(
            self.settings.redis_url, on_reconnect=metrics.REDIS_RECONNECTS.inc
        )
        self.hub = Hub(
            self.backend,
            prefix=self.settings.redis_prefix,
            queue_size=self.settings.subscriber_queue_size,
        )
        self.boards = Boards(
            self.hub,
            self.sessionmaker,
            per_second=self.settings.leaderboard_snapshots_per_second,
        )
        self.connections = ConnectionLimits(
            per_user=self.settings.max_connections_per_user,
            per_address=self.settings.max_connections_per_address,
        )
        if self.settings.relay:
            self.relay = relay_for(self.settings, self.backend)

    async def start(self) -> None:
        assert self.settings.database_url is not None
        self.pool = await asyncpg.create_pool(
            asyncpg_dsn(self.settings.database_url), min_size=0, max_size=5
        )
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
        await self.groups.stop()
        await self.accounts.stop()
        await self.hub.stop()
        await self.pool.close()


def relay_for(settings: Settings, backend: SupervisedRedisBackend) -> Relay:
    assert settings.database_url is not None
    return Relay(
        settings.database_url,
        backend,
        prefix=settings.redis_prefix,
        options=RelayOptions(
            retention_seconds=settings.event_retention_hours * 3600,
            max_events=settings.event_retention_max,
        ),
    )
