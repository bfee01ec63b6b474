"""Root query fields of notifications."""

import strawberry

from gql.ahead import Ahead
from gql.context import Info
from gql.notifications.types import Notification
from gql.pagination import Connection
from gql.social.types import users_ahead
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
        async with info.context.reads() as session:
            page = await notifications_service.notifications_page(
                session=session,
                owner_id=viewer.id,
                unread_only=unread_only,
                first=first,
                after=after,
            )
        actors = [row.actor_id for row in page.rows if row.actor_id is not None]
        await users_ahead(info, Ahead.of(info).nodes().child("actor"), actors)
        return Connection.from_page(page, Notification.from_model)
