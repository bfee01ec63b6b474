"""The realtime state of one instance: the GraphQL-free runtime, and what the GraphQL side
adds to it (shared event results and frames, subscription groups, admission of handshakes,
connection limits)."""

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gql.loaders import SharedLoaders
from gql.realtime.admission import Admission
from gql.realtime.connection_limits import ConnectionLimits
from gql.realtime.groups import Groups
from gql.realtime.shared import Frames, SharedExecutions
from gql.settings import Settings
from subscriptions.relay import RelayOptions
from subscriptions.runtime import Runtime, RuntimeOptions


class Realtime(Runtime):
    def __init__(
        self,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        reads: async_sessionmaker[AsyncSession],
    ) -> None:
        assert settings.database_url is not None and settings.redis_url is not None
        super().__init__(
            RuntimeOptions(
                database_url=settings.database_url,
                redis_url=settings.redis_url,
                redis_prefix=settings.redis_prefix,
                subscriber_queue_size=settings.subscriber_queue_size,
                leaderboard_snapshots_per_second=settings.leaderboard_snapshots_per_second,
                relay=relay_options(settings) if settings.relay else None,
            ),
            sessionmaker,
        )
        self.settings = settings
        self.reads = reads  # sessions for loaders and read paths (create_read_sessionmaker)
        self.loaders = SharedLoaders(reads)
        self.shared = SharedExecutions()
        self.frames = Frames()
        self.groups = Groups()
        self.admission = Admission(
            in_flight=settings.handshakes_in_flight,
            queue=settings.handshake_queue,
            wait_seconds=settings.handshake_wait_seconds,
        )
        self.connections = ConnectionLimits(
            per_user=settings.max_connections_per_user,
            per_address=settings.max_connections_per_address,
        )

    async def stop(self) -> None:
        await self.groups.stop()
        await super().stop()


def relay_options(settings: Settings) -> RelayOptions:
    return RelayOptions(
        retention_seconds=settings.event_retention_hours * 3600,
        max_events=settings.event_retention_max,
    )
