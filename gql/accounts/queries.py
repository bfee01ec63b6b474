"""Account lifecycle queries."""

import strawberry
from strawberry.scalars import JSON

from gql.context import Info
from resolvers import accounts as accounts_service


@strawberry.type
class AccountQueries:
    @strawberry.field(
        description="Everything the viewer's account owns, as JSON (one list of rows per "
        "kind; secrets left out). Rate-limited."
    )
    async def export_my_data(self, info: Info) -> JSON:
        viewer = info.context.require_viewer()
        await info.context.limiter.hit("export", str(viewer.id))
        async with info.context.sessionmaker() as session:
            return JSON(await accounts_service.export_data(session=session, user=viewer))
