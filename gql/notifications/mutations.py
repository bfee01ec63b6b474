"""Notification mutations."""

import uuid

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
        async with info.context.sessionmaker() as session:
            return await notifications_commands.mark_read(
                session=session, owner_id=viewer.id, ids=_parsed(ids)
            )

    @strawberry.mutation(
        description="Marks every notification of the viewer read. Returns how many changed."
    )
    async def mark_all_notifications_read(self, info: Info) -> int:
        viewer = info.context.require_viewer()
        async with info.context.sessionmaker() as session:
            return await notifications_commands.mark_read(
                session=session, owner_id=viewer.id, ids=None
            )

    @strawberry.mutation(
        description="Deletes the viewer's notifications (at most 100 ids; others' ids are "
        "ignored). Returns how many were deleted."
    )
    async def delete_notifications(self, info: Info, ids: list[strawberry.ID]) -> int:
        viewer = info.context.require_viewer()
        async with info.context.sessionmaker() as session:
            return await notifications_commands.delete(
                session=session, owner_id=viewer.id, ids=_parsed(ids)
            )


def _parsed(ids: list[strawberry.ID]) -> list[uuid.UUID]:
    """The ids, counted before any is parsed."""
    return [parse_id(value, field="ids") for value in notifications_commands.checked_count(ids)]
