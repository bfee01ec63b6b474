"""GraphQL types of notifications."""

import uuid
from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from gql.ahead import Later
from gql.context import Info
from gql.conversion import fields_from
from gql.scalars import json_or_none
from gql.social.types import User, user_of
from models import notifications as notification_models


@strawberry.type
class Notification:
    id: strawberry.ID
    type: str
    title: str
    body: str | None
    data: JSON | None
    read_at: datetime | None = strawberry.field(description="When the viewer opened it.")
    channel: str = strawberry.field(description="push, email or in_app.")
    delivery_status: str = strawberry.field(description="pending, sent, delivered or failed.")
    sent_at: datetime | None
    delivered_at: datetime | None
    created_at: datetime
    actor_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def from_model(cls, notification: notification_models.NotificationHistory) -> "Notification":
        return cls(
            **fields_from(
                cls,
                notification,
                type=notification.notification_type,
                data=json_or_none(notification.data),
                actor_id=notification.actor_id,
            )
        )

    @strawberry.field(
        description="Who caused it (the follower, the commenter...), if anyone.",
        graphql_type=User | None,
    )
    def actor(self, info: Info) -> Later[User | None]:
        return user_of(info, self.actor_id)
