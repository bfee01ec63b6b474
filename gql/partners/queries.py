"""Root query fields of accountability partners."""

import strawberry

from gql.context import Info
from gql.ids import parse_id
from gql.pagination import Connection
from gql.partners.types import PartnerGoal, Partnership, PartnershipStatus
from resolvers import partners as partners_service


@strawberry.type
class PartnerQueries:
    @strawberry.field(
        description="The viewer's partnerships and requests (asked or asked by), most "
        "recently changed first; of the statuses given, or all."
    )
    async def partnerships(
        self,
        info: Info,
        status: list[PartnershipStatus] | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Partnership]:
        viewer = info.context.require_viewer()
        async with info.context.sessionmaker() as session:
            page = await partners_service.partnerships_page(
                session=session,
                viewer_id=viewer.id,
                statuses=[s.value for s in status] if status else None,
                first=first,
                after=after,
            )
        return Connection.from_page(page, Partnership.from_model)

    @strawberry.field(
        description="An accepted partner's active goals, oldest first (NOT_FOUND unless you "
        "are partners)."
    )
    async def partner_goals(self, info: Info, user_id: strawberry.ID) -> list[PartnerGoal]:
        viewer = info.context.require_viewer()
        async with info.context.sessionmaker() as session:
            partner, goals = await partners_service.partner_goals(
                session=session, viewer_id=viewer.id, user_id=parse_id(user_id, field="userId")
            )
        return [PartnerGoal.from_model(goal, partner) for goal in goals]
