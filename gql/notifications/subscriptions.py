"""Realtime fields of notifications."""

from collections.abc import AsyncGenerator

import strawberry

from gql.context import Info
from gql.notifications.types import Notification
from gql.realtime.events import ChangeType, owned_row_changes
from gql.realtime.executor import delivered_directly
from models.notifications import NotificationHistory


@strawberry.type
class NotificationEvent:
    cursor: str = strawberry.field(description="Pass as `after` to resume after this event.")
    type: ChangeType = strawberry.field(description="CREATED, RESYNC or READY.")
    notification: Notification | None


@strawberry.type
class NotificationSubscriptions:
    @strawberry.subscription(description="New notifications for the viewer.")
    @delivered_directly
    async def notification_events(
        self, info: Info, after: str | None = None
    ) -> AsyncGenerator[NotificationEvent, None]:
        viewer = info.context.require_viewer()
        async for change in owned_row_changes(
            info, model=NotificationHistory, topics={f"user_id:{viewer.id}"}, after=after
        ):
            if change.type in (ChangeType.CREATED, ChangeType.RESYNC, ChangeType.READY):
                row = change.row
                yield NotificationEvent(
                    cursor=change.cursor,
                    type=change.type,
                    notification=Notification.from_model(row) if row is not None else None,
                )
