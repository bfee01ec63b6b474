"""Realtime fields of the challenges domain."""

from collections.abc import AsyncGenerator

import strawberry

from gql.challenges.types import Leaderboard
from gql.context import Info
from gql.ids import parse_id
from resolvers import challenges as challenges_service
from resolvers import leaderboards
from subscriptions import metrics


@strawberry.type
class ChallengeSubscriptions:
    @strawberry.subscription(
        description="Leaderboard snapshots: one at once, then one whenever the viewer's view "
        "(entries, total, own standing) changes, coalesced to a few per second per "
        "challenge. Ends with NOT_FOUND when the challenge is deleted or the viewer loses "
        "access to it."
    )
    async def leaderboard_updates(
        self, info: Info, challenge_id: strawberry.ID, first: int = 10
    ) -> AsyncGenerator[Leaderboard, None]:
        viewer = info.context.require_viewer()
        count = leaderboards.entry_count(first)
        async with info.context.sessionmaker() as session:
            challenge = await challenges_service.get_challenge(
                session=session,
                viewer_id=viewer.id,
                challenge_id=parse_id(challenge_id, field="challengeId"),
            )
        field = info.field_name
        metrics.ACTIVE_SUBSCRIPTIONS.labels(field).inc()
        try:
            async with info.context.realtime.boards.watch(
                challenge.id, viewer_id=viewer.id, first=count
            ) as watcher:
                async for snapshot in watcher:
                    metrics.DELIVERIES.labels(field).inc()
                    yield Leaderboard.build(
                        snapshot.challenge_id,
                        snapshot.ranking,
                        snapshot.entries,
                        snapshot.users,
                        snapshot.standing,
                    )
        finally:
            metrics.ACTIVE_SUBSCRIPTIONS.labels(field).dec()
