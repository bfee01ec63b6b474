"""Notification mutations."""

import strawberry

from gql.context import Info
from gql.ids import parse_id
from resolvers import notifications_commands


@strawberry.type
class NotificationMutations:
    @strawberry.mutation(
        description="Marks the viewer's notifications read (at most 100 ids; "
        "others' ids are ignored). Returns how many changed."
    )
    async def mark_notifications_read(self, info: Info, ids: list[strawberry.ID]) -> int:
        viewer = info.context.require_viewer()
        checked = notifications_commands.checked_count(ids)
        parsed = [parse_id(value, field="ids") for value in checked]
        async with info.context.sessionmaker() as session:
            return await notifications_commands.mark_read(
                session=session, owner_id=viewer.id, ids=parsed
            )
