"""Root query fields of achievements."""

import strawberry

from gql.achievements.types import AchievementType
from gql.context import Info
from resolvers import achievements as achievements_service


@strawberry.type
class AchievementQueries:
    @strawberry.field(
        description="The badge catalogue; includeRetired lists retired types too (admins)."
    )
    async def achievement_types(
        self, info: Info, include_retired: bool = False
    ) -> list[AchievementType]:
        async with info.context.sessionmaker() as session:
            kinds = await achievements_service.achievement_types(
                session=session,
                viewer_id=info.context.viewer_id,
                include_retired=include_retired,
            )
        return [AchievementType.from_model(kind) for kind in kinds]
