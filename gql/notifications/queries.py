"""Root query fields of notifications."""

import strawberry

from gql.context import Info
from gql.notifications.types import Notification
from gql.pagination import Connection
from resolvers import notifications as notifications_service


@strawberry.type
class NotificationQueries:
    @strawberry.field(description="The viewer's notifications, newest first.")
    async def notifications(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        unread_only: bool = False,
    ) -> Connection[Notification]:
        viewer = info.context.require_viewer()
        async with info.context.sessionmaker() as session:
            page = await notifications_service.notifications_page(
                session=session,
                owner_id=viewer.id,
                unread_only=unread_only,
                first=first,
                after=after,
            )
        return Connection.from_page(page, Notification.from_model)
