"""Accountability partner mutations."""

import strawberry

from gql.context import Info
from gql.ids import parse_id
from gql.partners.types import Partnership
from resolvers import partners as partners_service


@strawberry.type
class PartnerMutations:
    @strawberry.mutation(
        description="Asks someone to be accountability partners (notifies them); asking "
        "again while pending changes nothing."
    )
    async def request_partner(
        self, info: Info, user_id: strawberry.ID, message: str | None = None
    ) -> Partnership:
        viewer = info.context.require_viewer()
        target = parse_id(user_id, field="userId")
        await info.context.limiter.hit("partner", str(viewer.id))
        async with info.context.sessionmaker() as session:
            partnership = await partners_service.request_partner(
                session=session, viewer_id=viewer.id, user_id=target, message=message
            )
        return Partnership.from_model(partnership)

    @strawberry.mutation(description="Accepts a request made to the viewer.")
    async def accept_partner(self, info: Info, id: strawberry.ID) -> Partnership:
        return await _answer(info, id, accept=True)

    @strawberry.mutation(description="Declines a request made to the viewer.")
    async def decline_partner(self, info: Info, id: strawberry.ID) -> Partnership:
        return await _answer(info, id, accept=False)

    @strawberry.mutation(
        description="Cancels the viewer's pending request, or ends an accepted partnership "
        "(either partner); the other person is told."
    )
    async def end_partnership(self, info: Info, id: strawberry.ID) -> Partnership:
        viewer = info.context.require_viewer()
        async with info.context.sessionmaker() as session:
            partnership = await partners_service.end_partner(
                session=session, viewer_id=viewer.id, partnership_id=parse_id(id)
            )
        return Partnership.from_model(partnership)


async def _answer(info: Info, id: strawberry.ID, *, accept: bool) -> Partnership:
    viewer = info.context.require_viewer()
    async with info.context.sessionmaker() as session:
        partnership = await partners_service.answer_partner(
            session=session, viewer_id=viewer.id, partnership_id=parse_id(id), accept=accept
        )
    return Partnership.from_model(partnership)
