"""GraphQL types of the goals domain."""

from datetime import UTC, date, datetime
from typing import Annotated

import strawberry

from gql.context import Info
from gql.pagination import Connection
from models import goals as goal_models
from resolvers import goals as goals_service

# Registering the model enums with Strawberry lets fields be annotated with them directly.
strawberry.enum(goal_models.GoalCategory, name="GoalCategory")
strawberry.enum(goal_models.GoalFrequency, name="GoalFrequency")


@strawberry.type
class GoalTemplate:
    id: strawberry.ID
    title: str
    description: str | None
    category: goal_models.GoalCategory
    frequency: goal_models.GoalFrequency
    target_days: int | None
    reminder_times: list[str]
    is_ai_generated: bool
    match_reason: str | None
    created_at: datetime

    @classmethod
    def from_model(cls, template: goal_models.GoalTemplate) -> "GoalTemplate":
        return cls(
            id=strawberry.ID(str(template.id)),
            title=template.title,
            description=template.description,
            category=template.category,
            frequency=template.frequency,
            target_days=template.target_days,
            reminder_times=template.reminder_times or [],
            is_ai_generated=template.is_ai_generated,
            match_reason=template.match_reason,
            created_at=template.created_at,
        )


@strawberry.type
class CheckIn:
    id: strawberry.ID
    goal_id: strawberry.ID
    date: date
    completed: bool
    reflection: str | None
    mood: int | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_model(cls, check_in: goal_models.CheckIn) -> "CheckIn":
        return cls(
            id=strawberry.ID(str(check_in.id)),
            goal_id=strawberry.ID(str(check_in.goal_id)),
            date=check_in.date,
            completed=check_in.completed,
            reflection=check_in.reflection,
            mood=check_in.mood,
            created_at=check_in.created_at,
            updated_at=check_in.updated_at,
        )


@strawberry.type
class Motivation:
    id: strawberry.ID
    goal_id: strawberry.ID | None
    message: str
    message_type: str
    is_sent: bool
    scheduled_for: datetime | None
    sent_at: datetime | None
    created_at: datetime

    @classmethod
    def from_model(cls, motivation: goal_models.Motivation) -> "Motivation":
        return cls(
            id=strawberry.ID(str(motivation.id)),
            goal_id=strawberry.ID(str(motivation.goal_id)) if motivation.goal_id else None,
            message=motivation.message,
            message_type=motivation.message_type,
            is_sent=motivation.is_sent,
            scheduled_for=motivation.scheduled_for,
            sent_at=motivation.sent_at,
            created_at=motivation.created_at,
        )


@strawberry.type
class Goal:
    id: strawberry.ID
    title: str
    description: str | None
    category: goal_models.GoalCategory
    frequency: goal_models.GoalFrequency
    target_days: int | None
    reminder_times: list[str]
    is_active: bool
    created_at: datetime
    updated_at: datetime
    model: strawberry.Private[goal_models.Goal]

    @classmethod
    def from_model(cls, goal: goal_models.Goal) -> "Goal":
        return cls(
            id=strawberry.ID(str(goal.id)),
            title=goal.title,
            description=goal.description,
            category=goal.category,
            frequency=goal.frequency,
            target_days=goal.target_days,
            reminder_times=goal.reminder_times or [],
            is_active=goal.is_active,
            created_at=goal.created_at,
            updated_at=goal.updated_at,
            model=goal,
        )

    async def _progress(self, info: Info) -> goals_service.Progress:
        completed = await info.context.loaders.completed_dates_by_goal_id.load(self.model.id)
        viewer = info.context.require_viewer()
        return goals_service.progress(
            self.model, completed, now=datetime.now(UTC), timezone=viewer.timezone
        )

    @strawberry.field(description="Consecutive successful days (daily) or weeks (weekly) up to "
                      "now; today's or this week's period counts once it is met.")  # fmt: skip
    async def current_streak(self, info: Info) -> int:
        return (await self._progress(info)).current_streak

    @strawberry.field(description="The longest run of successful days or weeks.")
    async def longest_streak(self, info: Info) -> int:
        return (await self._progress(info)).longest_streak

    @strawberry.field(description="Done over due since the goal began, 0 to 1; weekly goals "
                      "count up to targetDays check-ins per week.")  # fmt: skip
    async def completion_rate(self, info: Info) -> float:
        return (await self._progress(info)).completion_rate

    @strawberry.field(description="Check-ins of this goal, newest date first.")
    async def check_ins(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        from_: Annotated[date | None, strawberry.argument(name="from")] = None,
        to: date | None = None,
    ) -> Connection[CheckIn]:
        viewer = info.context.require_viewer()
        async with info.context.sessionmaker() as session:
            page = await goals_service.check_ins_page(
                session=session,
                owner_id=viewer.id,
                goal_id=self.model.id,
                date_from=from_,
                date_to=to,
                first=first,
                after=after,
            )
        return Connection.from_page(page, CheckIn.from_model)
