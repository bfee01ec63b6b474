"""Mutations of motivation."""

import strawberry

from gql.context import Info
from gql.ids import parse_id
from gql.motivations.types import DailyMotivation, Motivation
from resolvers import motivations as motivations_service


@strawberry.type
class MotivationMutations:
    @strawberry.mutation(description="Replaces today's message with another, in place.")
    async def regenerate_motivation(self, info: Info) -> DailyMotivation:
        viewer = info.context.require_viewer()
        await info.context.limiter.hit("motivation", str(viewer.id))
        async with info.context.sessionmaker() as session:
            today = await motivations_service.regenerate_motivation(session=session, owner=viewer)
        return DailyMotivation.from_model(today)

    @strawberry.mutation(description="Records that a sent motivation was opened (once).")
    async def mark_motivation_opened(self, info: Info, id: strawberry.ID) -> Motivation:
        viewer = info.context.require_viewer()
        async with info.context.sessionmaker() as session:
            motivation = await motivations_service.mark_motivation_opened(
                session=session, owner_id=viewer.id, motivation_id=parse_id(id)
            )
        return Motivation.from_model(motivation)
