"""GraphQL types of motivation."""

import enum
from datetime import date, datetime

import strawberry

from gql.conversion import fields_from
from models import goals as goal_models


@strawberry.enum(description="Where a scheduled motivation push stands.")
class MotivationDelivery(enum.Enum):
    SCHEDULED = "scheduled"
    SENT = "sent"
    OPENED = "opened"


@strawberry.type(description="A motivation push, scheduled for the viewer.")
class Motivation:
    id: strawberry.ID
    goal_id: strawberry.ID | None
    message: str
    message_type: str
    is_sent: bool
    scheduled_for: datetime | None
    sent_at: datetime | None
    opened_at: datetime | None
    delivery: MotivationDelivery
    created_at: datetime

    @classmethod
    def from_model(cls, motivation: goal_models.Motivation) -> "Motivation":
        if motivation.opened_at is not None:
            delivery = MotivationDelivery.OPENED
        elif motivation.is_sent:
            delivery = MotivationDelivery.SENT
        else:
            delivery = MotivationDelivery.SCHEDULED
        return cls(**fields_from(cls, motivation, delivery=delivery))


@strawberry.type(description="The viewer's message of one day; regenerating replaces it.")
class DailyMotivation:
    id: strawberry.ID
    date: date
    message: str
    background_style: str | None = strawberry.field(description="A card style for the client.")
    regeneration_count: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_model(cls, motivation: goal_models.DailyMotivation) -> "DailyMotivation":
        return cls(**fields_from(cls, motivation))
