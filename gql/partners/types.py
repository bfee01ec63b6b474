"""GraphQL types of accountability partners."""

import enum
from datetime import UTC, date, datetime
from typing import Annotated

import strawberry

from gql.ahead import Later
from gql.context import Info
from gql.conversion import fields_from
from gql.realtime.sharing import PER_VIEWER
from gql.social.types import User, user_of
from models import goals as goal_models
from models import social as social_models
from models import users as user_models
from resolvers import goals as goals_service
from resolvers import partners as partners_service


@strawberry.enum
class PartnershipStatus(enum.Enum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    ENDED = "ended"


@strawberry.type(description="An accountability partnership of the viewer, or a request.")
class Partnership:
    id: strawberry.ID
    status: PartnershipStatus
    message: str | None
    accepted_at: datetime | None
    created_at: datetime
    updated_at: datetime
    model: strawberry.Private[social_models.AccountabilityPartner]

    @classmethod
    def from_model(cls, partnership: social_models.AccountabilityPartner) -> "Partnership":
        return cls(
            **fields_from(
                cls, partnership, status=PartnershipStatus(partnership.status), model=partnership
            )
        )

    @strawberry.field(
        description="Who asked (null if that account is disabled).", graphql_type=User | None
    )
    def requester(self, info: Info) -> Later[User | None]:
        return user_of(info, self.model.requester_id)

    @strawberry.field(
        description="Who was asked (null if that account is disabled).", graphql_type=User | None
    )
    def partner(self, info: Info) -> Later[User | None]:
        return user_of(info, self.model.partner_id)

    @strawberry.field(description="Whether the viewer asked.", metadata=PER_VIEWER)
    def viewer_is_requester(self, info: Info) -> bool:
        return info.context.viewer_id == self.model.requester_id


@strawberry.type(description="A day a partner checked in on a goal.")
class PartnerCheckIn:
    date: date
    completed: bool


@strawberry.type(
    description="An active goal of an accepted partner: what it is and how it goes, without "
    "its description, reminders, or check-in reflections and moods."
)
class PartnerGoal:
    id: strawberry.ID
    title: str
    category: goal_models.GoalCategory
    frequency: goal_models.GoalFrequency
    target_days: int | None
    model: strawberry.Private[goal_models.Goal]
    owner: strawberry.Private[user_models.User]

    @classmethod
    def from_model(cls, goal: goal_models.Goal, owner: user_models.User) -> "PartnerGoal":
        return cls(**fields_from(cls, goal, model=goal, owner=owner))

    async def _progress(self, info: Info) -> goals_service.Progress:
        completed = await info.context.loaders.completed_dates_by_goal_id.load(self.model.id)
        return goals_service.progress(
            self.model, completed, now=datetime.now(UTC), timezone=self.owner.timezone
        )

    @strawberry.field(description="As Goal.currentStreak, in the partner's time zone.")
    async def current_streak(self, info: Info) -> int:
        return (await self._progress(info)).current_streak

    @strawberry.field
    async def longest_streak(self, info: Info) -> int:
        return (await self._progress(info)).longest_streak

    @strawberry.field
    async def completion_rate(self, info: Info) -> float:
        return (await self._progress(info)).completion_rate

    @strawberry.field(description="Days from..to (inclusive, at most 366) with a check-in.")
    async def check_ins(
        self,
        info: Info,
        from_: Annotated[date, strawberry.argument(name="from")],
        to: date,
    ) -> list[PartnerCheckIn]:
        async with info.context.sessionmaker() as session:
            days = await partners_service.partner_check_in_days(
                session=session, goal_id=self.model.id, date_from=from_, date_to=to
            )
        return [PartnerCheckIn(date=day, completed=done) for day, done in days]
