"""Root query fields of motivation."""

import strawberry

from gql.context import Info
from gql.motivations.types import DailyMotivation, Motivation
from gql.pagination import Connection
from resolvers import motivations as motivations_service


@strawberry.type
class MotivationQueries:
    @strawberry.field(description="The viewer's message of their local today (made on first read).")
    async def today_motivation(self, info: Info) -> DailyMotivation:
        viewer = info.context.require_viewer()
        async with info.context.sessionmaker() as session:
            today = await motivations_service.today_motivation(session=session, owner=viewer)
        return DailyMotivation.from_model(today)

    @strawberry.field(description="The viewer's daily messages, newest day first.")
    async def daily_motivations(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[DailyMotivation]:
        viewer = info.context.require_viewer()
        async with info.context.sessionmaker() as session:
            page = await motivations_service.daily_motivations_page(
                session=session, owner_id=viewer.id, first=first, after=after
            )
        return Connection.from_page(page, DailyMotivation.from_model)

    @strawberry.field(description="The viewer's motivation pushes, newest first.")
    async def motivations(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Motivation]:
        viewer = info.context.require_viewer()
        async with info.context.sessionmaker() as session:
            page = await motivations_service.motivations_page(
                session=session, owner_id=viewer.id, first=first, after=after
            )
        return Connection.from_page(page, Motivation.from_model)
