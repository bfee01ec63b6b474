"""Root query fields of the challenges domain."""

import strawberry

from gql.ahead import Ahead
from gql.challenges.types import Challenge, Leaderboard, challenges_ahead
from gql.context import Info
from gql.ids import parse_id
from gql.pagination import Connection
from resolvers import challenges as challenges_service
from resolvers import leaderboards
from resolvers import users as users_service
from resolvers.challenges import ChallengeStatus


@strawberry.type
class ChallengeQueries:
    @strawberry.field(description="A challenge the viewer may see (private ones: members only).")
    async def challenge(self, info: Info, id: strawberry.ID) -> Challenge:
        viewer = info.context.require_viewer()
        async with info.context.reads() as session:
            found = await challenges_service.get_challenge(
                session=session, viewer_id=viewer.id, challenge_id=parse_id(id)
            )
        await challenges_ahead(info, Ahead.of(info), [found])
        return Challenge.from_model(found)

    @strawberry.field(
        description="Challenges the viewer may see, latest start first; joinedOnly keeps "
        "those the viewer takes part in."
    )
    async def challenges(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: ChallengeStatus | None = None,
        joined_only: bool = False,
    ) -> Connection[Challenge]:
        viewer = info.context.require_viewer()
        async with info.context.reads() as session:
            page = await challenges_service.challenges_page(
                session=session,
                viewer_id=viewer.id,
                status=status,
                joined_only=joined_only,
                first=first,
                after=after,
            )
        await challenges_ahead(info, Ahead.of(info).nodes(), page.rows)
        return Connection.from_page(page, Challenge.from_model)

    @strawberry.field(
        description="The ranking of a challenge: its top entries (first: 0-100) and the "
        "viewer's own standing."
    )
    async def leaderboard(
        self, info: Info, challenge_id: strawberry.ID, first: int = 10
    ) -> Leaderboard:
        viewer = info.context.require_viewer()
        count = leaderboards.entry_count(first)
        challenge_uuid = parse_id(challenge_id, field="challengeId")
        async with info.context.reads() as session:
            await challenges_service.get_challenge(
                session=session, viewer_id=viewer.id, challenge_id=challenge_uuid
            )
        async with info.context.sessionmaker() as session:  # one snapshot: a transaction
            ranking = await leaderboards.read_ranking(
                session=session, challenge_id=challenge_uuid, first=count
            )
            standings = await leaderboards.standings_of(
                session=session, challenge_id=challenge_uuid, user_ids=[viewer.id]
            )
            users = await users_service.users_by_ids(
                session=session, ids=[standing.user_id for standing in ranking.top]
            )
        return Leaderboard.build(
            challenge_uuid,
            ranking,
            tuple(ranking.ranked(ranking.top)),
            {user.id: user for user in users if user is not None},
            standings.get(viewer.id),
        )
